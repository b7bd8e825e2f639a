/** Public face of the workers module: a level's lanes on several worker threads or machines, coordinated and merged for one verdict. */
export * from './protocol.js';
export * from './links.js';
export * from './merge.js';
export * from './pool.js';
export { serveWorker, type WorkerPort, type ServeOptions } from './agent.js';
export * from './attach.js';
export { RedisHub, connectRedis, type ClockReading } from './redis-hub.js';
export { runRedisWorker, type RedisWorkerOptions } from './redis-worker.js';
export { CLOCK_AGREEMENT_MS, CLOCK_UNCERTAINTY_MS, HEARTBEAT_TTL_MS } from './redis-keys.js';
export { encode, decode } from './codec.js';
