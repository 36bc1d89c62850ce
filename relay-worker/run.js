// Entry point of the continuous WebJob (App_Data/jobs/continuous/relay/run.js): `npm run package` puts the relay
// bundled into one file (dev/package/bundle.ts) at relay-worker/main.js beside this file, with settings.job.
require('./relay-worker/main.js');
