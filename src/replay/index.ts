/** Public face of the replay module: agent lanes, levels, SLO evaluation, sweep search and orchestration. */
export * from './slo.js';
export * from './sweep-search.js';
export * from './vllm-metrics.js';
export * from './prompt.js';
export * from './content.js';
export * from './completions-prompt.js';
export * from './lane.js';
export * from './level.js';
export * from './evaluate.js';
export * from './canary-rule.js';
export * from './sweep.js';
export * from './setup.js';
export * from './session.js';
export * from './format.js';
export * from './cli.js';
