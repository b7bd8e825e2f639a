export * from './types.js';
export * from './validate.js';
export * from './load.js';
export * from './walk.js';
export * from './stats.js';
export * from './synth.js';
export * from './importers/index.js';
export * from './limits.js';
