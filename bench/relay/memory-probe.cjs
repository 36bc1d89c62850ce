// Loaded into the relay process with `node --require` by bench/relay (relay-process.ts), never in production:
// reports process.memoryUsage() to the benchmark over the IPC channel twice a second. The timer and the
// channel are unref'd so that the relay's own lifetime and exit code are unchanged; when the benchmark
// goes away (the channel closes) the relay is asked to stop, so that none is left running.
'use strict';

if (typeof process.send === 'function') {
  const timer = setInterval(() => process.send({ memoryUsage: process.memoryUsage() }), 500);
  timer.unref();
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
