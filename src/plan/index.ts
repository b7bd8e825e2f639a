/** Virtual-time capacity planner (DESIGN 2, 5): the lane program's virtual-time driver over the sim engine, the sweep search (src/slo), and profile fitting. */
export { planLevel } from './level.js';
export { planObservation, judgePlanCalls } from './calls.js';
export { planningProfile, autoKvBlockTokens } from './granularity.js';
export type { PlanLevelOptions } from './level.js';
export type { PlanLevelResult, PlanTierResult, PlanRequestRow, PlanCallRec } from './calls.js';
export { EventQueue } from './queue.js';
export { analyticCapacity } from './analytic.js';
export type { AnalyticCapacity } from './analytic.js';
export { PlanPrompts } from './lanes.js';
export type { CallSpec } from './lanes.js';
export { planSweep, formatPlan, formatPlanLevel } from './sweep.js';
export type { PlanSweepOptions, PlanSweepResult, PlanTierSummary } from './sweep.js';
export { fitStepTime, fittedProfileYaml, levelLoads, nnls } from './fit.js';
export type { FitRequest, FitLevelLoad, StepTimeFit } from './fit.js';
export { verificationPlan, FALLBACK_BUDGET_FACTOR, LEVEL_OVERHEAD_S } from './verify.js';
export type { VerifyPlan, VerifyTier } from './verify.js';
