/** Worker-thread entry for the periodic rewrite of the output file (see flush-host.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { serveFlushes } from './flush-host.js';

const { file, idPrefix } = workerData as { file: string; idPrefix: string };
serveFlushes(parentPort!, file, idPrefix);
