/** Entry of a load worker thread (--workers K): the coordinator's messages arrive on parentPort. */
import { parentPort, workerData } from 'node:worker_threads';
import { serveWorker } from './agent.js';
import type { ToWorker } from './protocol.js';

const port = parentPort!;
serveWorker(
  { post: (m) => port.postMessage(m), onMessage: (fn) => port.on('message', (m: ToWorker) => fn(m)) },
  { version: (workerData as { version: string }).version, onExit: () => port.close() },
);
