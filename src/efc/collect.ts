/** I/O edge for fits: stored runs -> scored episodes -> fit points with task demand. */
import fs from 'node:fs';
import path from 'node:path';
import { AgentdynoError, errorMessage } from '../core/index.js';
import { loadTask, resolveTaskDir } from '../loop/index.js';
import type { Store } from '../store/index.js';
import { DEFAULT_EXPONENTS, demand, demandFeatures, type Calibration, type DemandExponents, type DemandFeatures } from './demand.js';
import { loadEpisode } from './episode.js';
import type { FitPoint } from './fit.js';
import { scoreEpisode } from './score.js';
import type { EpisodeScore } from './types.js';

export const DEFAULT_DEMAND_FILE = path.join('results', 'efc', 'demand.json');

export interface Collected {
  scores: EpisodeScore[];
  features: Map<string, DemandFeatures>;
  /** Runs left out, with why (unfinished, unknown task). */
  skipped: { runId: string; why: string }[];
}

/** Scores the given loop runs (all finished loop runs when `runIds` is empty). */
export function collectRuns(store: Store, runIds: readonly string[], taskRoot = 'tasks'): Collected {
  const ids = runIds.length ? [...runIds] : store.listRuns({ kind: 'loop', status: 'completed' }).map((r) => r.id);
  const scores: EpisodeScore[] = [];
  const skipped: Collected['skipped'] = [];
  const cvs = new Map<string, number[]>();
  for (const id of ids) {
    const ep = loadEpisode(store, id);
    if (ep.success === null) {
      skipped.push({ runId: id, why: 'run has no stored result (unfinished or failed)' });
      continue;
    }
    scores.push(scoreEpisode(ep));
    if (ep.baselineCv !== null) cvs.set(ep.task, [...(cvs.get(ep.task) ?? []), ep.baselineCv]);
  }
  const features = new Map<string, DemandFeatures>();
  for (const task of new Set(scores.map((s) => s.task))) {
    const cv = cvs.get(task) ?? [];
    try {
      features.set(task, demandFeatures(loadTask(resolveTaskDir(task, taskRoot)), cv.length ? cv.reduce((a, v) => a + v, 0) / cv.length : 0));
    } catch (e) {
      skipped.push(...scores.filter((s) => s.task === task).map((s) => ({ runId: s.runId, why: `task ${task} not found under ${taskRoot}: ${errorMessage(e)}` })));
    }
  }
  return { scores: scores.filter((s) => features.has(s.task)), features, skipped };
}

export function fitPoints(c: Collected, exponents: DemandExponents = DEFAULT_EXPONENTS): FitPoint[] {
  return c.scores.map((s) => ({
    runId: s.runId,
    task: s.task,
    success: s.success === true,
    efc: s.efc,
    demand: demand(c.features.get(s.task)!, exponents),
    tokens: s.rawCompute.tokens,
    toolCalls: s.rawCompute.toolCalls,
    wallSec: s.rawCompute.wallSec,
  }));
}

/** Frozen exponents from a calibration file, or the defaults (labelled) when there is none. */
export function readCalibration(file: string | undefined): { exponents: DemandExponents; source: string } {
  const f = file ?? DEFAULT_DEMAND_FILE;
  if (!fs.existsSync(f)) {
    if (file) throw new AgentdynoError('no demand calibration file here.', { code: 'E_INPUT_INVALID', where: f, hint: 'Create one with `agentdyno efc demand RUNS...` (it calibrates on one split and freezes the exponents).' });
    return { exponents: { ...DEFAULT_EXPONENTS }, source: 'default exponents (uncalibrated: run `agentdyno efc demand` to calibrate)' };
  }
  try {
    const c = JSON.parse(fs.readFileSync(f, 'utf8')) as Calibration;
    const e = c.exponents;
    if (![e?.headroom, e?.knobs, e?.noise, e?.oracle].every((x) => typeof x === 'number' && Number.isFinite(x))) throw new Error('exponents must be four finite numbers');
    return { exponents: e, source: f };
  } catch (err) {
    throw new AgentdynoError(`cannot read the demand calibration (${errorMessage(err)}).`, { code: 'E_FILE_NOT_FOUND', where: `${f}: exponents`, hint: 'Re-create it with `agentdyno efc demand RUNS...`.' });
  }
}
