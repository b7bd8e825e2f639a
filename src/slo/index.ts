/**
 * Public face of the SLO core (DESIGN 2, 4): the metric registry, the window rules, the
 * call/agent/level judge, validity rules and the sweep search. Pure; imports only core.
 * replay (HTTP), plan (virtual time), scale (merge) and power all judge through it.
 */
export * from './metrics.js';
export * from './vllm.js';
export * from './window.js';
export * from './judge.js';
export * from './tiers.js';
export * from './validity.js';
export * from './search.js';
