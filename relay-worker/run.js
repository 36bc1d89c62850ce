// Entry point of the continuous WebJob (App_Data/jobs/continuous/relay/run.js): the WebJob package
// puts the compiled relay-worker/ and shared/ folders and node_modules beside this file.
require('./relay-worker/main.js');
