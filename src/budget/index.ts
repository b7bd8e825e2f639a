/** Affine token budgets: ledger, handles, estimators, fan-out policies, overrun bench. */
export * from './state.js';
export {
  opSplit, opReserve, opCommit, opRelease, opForfeit, opJoin,
  type SplitOptions, type SplitResultPaths, type ReserveRequest, type ReserveResult, type UsageReport, type CommitResult,
} from './ops.js';
export { BudgetLedger, RuntimeBudgetHandle, RuntimeReservation, SplitOut, CommitOut, MemoryBackend, type BudgetHandle, type Reservation, type LedgerBackend } from './ledger.js';
export { SqliteLedger, SqliteBackend } from './sqlite.js';
export * from './estimate.js';
export * from './workload.js';
export * from './policies.js';
export * from './bench.js';
export * from './http-model.js';
export * from './run-bench.js';
export { withBudget, usageFrom, type ChatCreateLike } from './wrap.js';
export { startBudgetProxy, HANDLE_HEADER, SPLIT_HEADER, CHILDREN_HEADER, type BudgetProxy, type BudgetProxyOptions } from './proxy.js';
export { boundRequest, clampRequest, apiOfPath, OVERHEAD, type ProxyApi, type CallBound, type BoundOptions } from './proxy-apis.js';
export { usageOf, usageOfBody, StreamUsage } from './proxy-usage.js';
export { parseUpstream, type Upstream } from './proxy-forward.js';
export { AgentBudgetTree, formatBudgetTree, type AgentBudgetNode, type AgentBudgetTreeReport } from './agent-tree.js';
