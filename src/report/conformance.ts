/**
 * Compile-time check that what the producers store is what agentdyno.run.v1 readers expect: if a
 * module's result type drifts from the published shape, `tsc` fails here (the JSON Schema test checks
 * the same at run time on real stored runs).
 */
import type { BudgetBenchResult } from '../budget/index.js';
import type { TaskRunSummary } from '../loop/index.js';
import type { RecordResult } from '../power/record.js';
import type { MergedLevel } from '../scale/index.js';
import type { PlanSweepResult } from '../plan/index.js';
import type { RealSweepResult } from '../replay/index.js';
import type { BudgetBenchResultV1, LoopResultV1, MergedResultV1, PlanResultV1, PowerRecordResultV1, SweepResultV1 } from '../store/index.js';

type Conforms<Produced extends Read, Read> = Produced;

export type RunV1Conformance = [
  Conforms<RealSweepResult, SweepResultV1>,
  Conforms<TaskRunSummary, LoopResultV1>,
  Conforms<BudgetBenchResult, BudgetBenchResultV1>,
  Conforms<RecordResult, PowerRecordResultV1>,
  Conforms<MergedLevel, MergedResultV1>,
  Conforms<PlanSweepResult, PlanResultV1>,
];
