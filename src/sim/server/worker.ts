/** Worker-thread entry: runs startSimServer with the options it was given and reports back. */
import { parentPort, workerData } from 'node:worker_threads';
import { AgentdynoError } from '../../core/index.js';
import { startSimServer } from './http.js';

const port = parentPort!;
try {
  const srv = await startSimServer(workerData);
  port.on('message', (m: unknown) => {
    if (m === 'close') void srv.close().then(() => port.postMessage({ type: 'closed' }));
  });
  port.postMessage({ type: 'ready', url: srv.url, port: srv.port, profile: srv.profile });
} catch (e) {
  const err = e as Error;
  port.postMessage({
    type: 'error',
    message: err instanceof AgentdynoError ? err.what : err.message,
    code: err instanceof AgentdynoError ? err.code : undefined,
    where: err instanceof AgentdynoError ? err.where : undefined,
    hint: err instanceof AgentdynoError ? err.hint : undefined,
    agentdyno: err instanceof AgentdynoError,
  });
}
