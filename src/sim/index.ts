/** Public face of the simulator: engine, tokenizer, profiles, HTTP server (in-process or worker). */
export { SimEngine, SimEngineError } from './engine/engine.js';
export type { SimRequest, SimStep, SimTokenEvent, SimEngineStats, SimFinishReason } from './engine/engine.js';
export { KvCache } from './engine/kv.js';
export {
  simTokenize,
  simCountTokens,
  simCountChatTokens,
  messageText,
  SimPromptHasher,
  hashChatPrompt,
  hashCompletionPrompt,
  simSchemaText,
  SIM_CHAT_TOKENS_PER_MESSAGE,
  SIM_CHAT_TOKENS_PER_REQUEST,
} from './tokenize.js';
export type { SimChatMessage } from './tokenize.js';
export { loadProfile, listProfiles, validateProfile, profilesDir, predictStepMs, predictDecodeTokPerS } from './profile.js';
export type { SimProfile } from './profile.js';
export { startSimServer } from './server/http.js';
export type { SimServerHandle } from './server/http.js';
export { startSimServerInWorker, simWorkerScript } from './server/worker-host.js';
export type { SimServer, SimServerOptions, SimStreamHabits, SimFaults } from './server/options.js';
export { simWord } from './server/output.js';
// The virtual-time planner (`sim plan`, `sim fit`) is its own module, src/plan/: the simulator knows no agents or SLOs.
