/** Reads a stored loop run back as an Episode (the I/O edge; the scorers never touch the store). */
import { AgentdynoError } from '../core/index.js';
import type { Store } from '../store/index.js';
import type { Episode } from './types.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const numOr = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

export function loadEpisode(store: Store, runId: string): Episode {
  const run = store.requireRun(runId);
  if (run.kind !== 'loop')
    throw new AgentdynoError(`run ${runId} is a ${run.kind} run; EFC scores loop runs only.`, { code: 'E_INPUT_INVALID', where: store.path, hint: 'List loop runs with `agentdyno results list --kind loop`.' });
  const config = obj(run.config);
  const result = obj(run.result);
  const baseline = obj(obj(result.baseline).measured);
  const llm = obj(config.llm);
  const iterations = store.getLoopIterations(runId).map((r) => {
    const d = obj(r.detail);
    const p = d.proposal;
    return {
      iteration: r.iteration,
      status: r.status ?? 'unknown',
      proposal: p && typeof p === 'object' ? (p as Episode['iterations'][number]['proposal']) : null,
      feedbackShown: typeof d.feedbackShown === 'string' ? d.feedbackShown : '',
      tokensIn: numOr(r.tokensIn, 0),
      tokensOut: numOr(r.tokensOut, 0),
      wallMs: numOr(r.wallMs, 0),
      improved: d.improved === true,
    };
  });
  const events = store.getFeedbackEvents(runId).map((r) => ({ iteration: r.iteration, seq: r.seq, kind: r.kind, text: r.text ?? '', detail: obj(r.detail) }));
  return {
    runId,
    task: String(config.task ?? 'unknown'),
    agent: String(config.agent ?? 'unknown'),
    feedbackMode: String(config.feedback ?? 'rich'),
    iterations,
    events,
    success: typeof result.success === 'boolean' ? result.success : null,
    normalizedScore: typeof result.normalizedScore === 'number' ? result.normalizedScore : null,
    stopReason: typeof result.stopReason === 'string' ? result.stopReason : null,
    baselineCv: typeof baseline.cv === 'number' ? baseline.cv : null,
    contextTokens: typeof llm.contextTokens === 'number' ? llm.contextTokens : null,
  };
}
