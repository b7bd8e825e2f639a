/** Virtual-time capacity planner (DESIGN 5): simulated agent lanes on a discrete-event clock, the sweep search, and profile fitting. */
export { planLevel } from './level.js';
export { planningProfile, autoKvBlockTokens } from './granularity.js';
export type { PlanLevelOptions, PlanLevelResult, PlanTierResult, PlanRequestRow } from './level.js';
export { EventQueue } from './queue.js';
export { analyticCapacity } from './analytic.js';
export type { AnalyticCapacity } from './analytic.js';
export { planLaneRng } from './lanes.js';
export { planSweep, formatPlan, formatPlanLevel } from './sweep.js';
export type { PlanSweepOptions, PlanSweepResult, PlanTierSummary } from './sweep.js';
export { fitStepTime, fittedProfileYaml, levelLoads, nnls } from './fit.js';
export type { FitRequest, FitLevelLoad, StepTimeFit } from './fit.js';
