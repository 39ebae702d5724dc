// A crypto pool worker (cryptoPool.ts). Plain JavaScript so that it loads the
// same way under `node --import tsx`, the tsx-registering CLI (scripts/bin)
// and vitest: it registers tsx itself (loader hooks are per thread), then
// imports the TypeScript tasks.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { runTask } = await import('./cryptoTasks.ts');

parentPort.on('message', (msg) => {
  let reply;
  try {
    reply = { id: msg.id, ok: true, result: runTask(msg.task) };
  } catch (err) {
    // The pool runs the chunk again in-thread, where the same error surfaces as before.
    reply = { id: msg.id, ok: false, error: String(err && err.stack ? err.stack : err) };
  }
  parentPort.postMessage(reply);
});
parentPort.postMessage({ ready: true });
