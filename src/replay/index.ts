/** Public face of the replay module: the HTTP driver of the lane program, levels, their evaluation and the sweep loop (the rules are src/slo's). */
export * from './prompt.js';
export * from './content.js';
export * from './completions-prompt.js';
export * from './lane.js';
export * from './level.js';
export * from './phases.js';
export * from './evaluate.js';
export * from './sweep.js';
export * from './setup.js';
export * from './session.js';
export * from './format.js';
export * from './cli.js';
export * from './arrivals.js';
export * from './open-loop.js';
export * from './open-loop-session.js';
export * from './open-loop-format.js';
export * from './open-loop-flags.js';
export { feedFlags, openFeeds } from './feeds.js';
