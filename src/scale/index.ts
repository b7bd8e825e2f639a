/** Public face of the scale module (DESIGN 7): shard flags, HDR histogram helpers, merging shard runs. */
export * from './shard.js';
export * from './hdr.js';
export * from './merge.js';
export * from './format.js';
export * from './load.js';
export { mergedPower, type MergedPowerChannel } from './power.js';
