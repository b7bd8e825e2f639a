/** loop/: task loader, workspace + sandbox, build/check/measure executor, loop engine, agents (DESIGN 6). */
export * from './task.js';
export * from './harbor.js';
export * from './sandbox.js';
export * from './workspace.js';
export * from './measure.js';
export * from './executor.js';
export * from './feedback.js';
export * from './agent.js';
export * from './engine.js';
export * from './recorder.js';
export * from './validate.js';
export * from './run.js';
export { ScriptedAgent, type ScriptStep } from './agents/scripted.js';
export { SearchAgent, paramValues, type SearchStrategy } from './agents/search.js';
export { LlmAgent, LLM_TOOLS, type LlmAgentOptions } from './agents/llm.js';
export { CommandAgent, AGENT_PRESETS, type CommandAgentOptions } from './agents/command.js';
