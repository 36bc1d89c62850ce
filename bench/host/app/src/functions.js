const { app } = require('@azure/functions');
const { pingBody } = require('./ping-body');

app.http('ping', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'ping',
  handler: async () => ({ jsonBody: pingBody() }),
});

// No-op: the benchmark measures what the host costs per message, not the function.
app.storageQueue('drain', {
  queueName: 'bench-items',
  connection: 'AzureWebJobsStorage',
  handler: async () => undefined,
});
