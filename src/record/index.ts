/** Public face of the recording proxy: `agentdyno record`. */
export { startRecordingProxy } from './proxy.js';
export type { RecordingProxy, RecordingProxyOptions, ProxyTiming } from './proxy.js';
export { Recorder } from './recorder.js';
export type { RecordedExchange } from './recorder.js';
export { AgentIdentifier } from './gate.js';
export type { RequestGate, GateRequest, GateAnswer, GateTicket, GateUsage } from './gate.js';
