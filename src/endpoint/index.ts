/** Public face of the endpoint module: OpenAI-compatible streaming client, fault classes, per-request metrics. */
export * from './types.js';
export { EndpointClient, DEFAULT_TIMEOUT_MS, SIM_HEADER, SIM_OWNED_BY } from './client.js';
export { classifyError, classifyHttpStatus, parseRetryAfter, faultFamily, callFaults, ERROR_CLASSES, type FaultFamily } from './classify.js';
export { withRetry, type RetryOptions } from './retry.js';
export { requestMetrics, itlSamplesMs, type RequestMetrics } from './metrics.js';
export { resolveBaseUrl, type EndpointTarget } from './url.js';
export { SseDecoder } from './sse.js';
export { nativeReaderCpuS } from './native/mux.js';
export { startTimingCanary, canaryStats, type TimingCanary, type TimingCanaryOptions, type CanaryStats } from './canary.js';
export * as wire from './wire/index.js';
export { WIRE, WIRE_APIS, WireAccumulator, apiOfPath, finishToStop, stopToFinish, normalizeRequest, normalizeResponse, type WireApi, type NormalizedRequest, type NormalizedResponse, type WireMessage } from './wire/index.js';
export { withDeadline, stderrLine, type DeadlineOptions } from './deadline.js';
