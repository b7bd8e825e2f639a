// Child process: the simulated server, alone in its own process (own event loop, own core share).
import { startSimServer } from '../../dist/sim/index.js';
import { cpuReplies } from './proc-common.mjs';

const sim = await startSimServer({ port: 0, seed: 1, profile: process.env.SIM_PROFILE || 'small' });
process.send({ type: 'ready', url: sim.url });
cpuReplies({ close: () => sim.close() });
