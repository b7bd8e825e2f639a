export * from './clock.js';
export * from './errors.js';
export * from './error-codes.js';
export * from './error-codes.js';
export * from './ids.js';
export * from './rng.js';
export * from './stats.js';
export * from './command.js';
