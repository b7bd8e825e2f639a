/** Virtual-time capacity planner (DESIGN 5): simulated agent lanes on a discrete-event clock, the sweep search, and profile fitting. */
export { planLevel } from './level.js';
export type { PlanLevelOptions, PlanLevelResult, PlanTierResult, PlanRequestRow } from './level.js';
export { EventQueue } from './queue.js';
export { planLaneRng } from './lanes.js';
