import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/index.js';
import type { IterationRecord, LoopRecorder } from './engine.js';
import type { Task } from '../task/index.js';

/** Writes each iteration to the store (loop_iterations + feedback_events) as it finishes. */
export class StoreRecorder implements LoopRecorder {
  constructor(
    private readonly store: Store,
    private readonly runId: string,
  ) {}

  iteration(r: IterationRecord, task: Task, agent: string): void {
    this.store.insertLoopIteration(this.runId, {
      task: task.id,
      iteration: r.iteration,
      agent,
      status: r.status,
      score: r.scores?.reward ?? null,
      normalizedScore: r.scores?.normalized ?? null,
      metricValue: r.measurement?.median ?? null,
      tokensIn: r.tokensIn,
      tokensOut: r.tokensOut,
      wallMs: r.agentMs + r.evalMs,
      tStartNs: r.tStartNs,
      tEndNs: r.tEndNs,
      detail: {
        proposal: r.proposal,
        improved: r.improved,
        measurement: r.measurement,
        scores: r.scores,
        agentMs: r.agentMs,
        evalMs: r.evalMs,
        steps: r.evaluation?.steps ?? [],
        harnessModified: r.evaluation?.harnessModified ?? [],
        // Why it failed (the verifier's own `reason` for Harbor tasks) and what made it unconfirmed.
        reason: r.evaluation?.reason ?? null,
        unconfirmed: r.evaluation?.unconfirmed ?? [],
        verifier: r.evaluation?.verifier ?? null,
        sandbox: r.evaluation?.sandbox ?? null,
        // Exactly what the agent was shown at the start of this iteration.
        feedbackShown: r.feedbackShown,
        agentLog: r.agentLog ?? null,
      },
    });
    // Events produced by this iteration, as they will be shown at the next turn.
    this.store.insertFeedbackEvents(
      this.runId,
      r.shown.map((e, seq) => ({ task: task.id, iteration: r.iteration, seq, kind: e.kind, text: e.text, detail: e.detail })),
    );
  }
}

/**
 * METR-style score log: JSON Lines `{timestamp, score, message, details}` per measured iteration.
 * `details.measured` holds harness numbers; `details.agentClaimed` what the agent said (never scored).
 */
export class ScoreLog implements LoopRecorder {
  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }
  iteration(r: IterationRecord): void {
    if (r.status === 'stop') return;
    const claimed = r.proposal?.kind === 'change' ? (r.proposal.claimed ?? null) : null;
    const line = {
      timestamp: new Date().toISOString(),
      score: r.scores ? r.scores.normalized : null,
      message: { iteration: r.iteration, status: r.status, improved: r.improved },
      details: {
        measured: r.measurement ? { median: r.measurement.median, ciLow: r.measurement.ciLow, ciHigh: r.measurement.ciHigh, mean: r.measurement.mean, repeats: r.measurement.n, values: r.measurement.values } : null,
        scores: r.scores,
        agentClaimed: claimed,
      },
    };
    fs.appendFileSync(this.file, JSON.stringify(line) + '\n');
  }
}

export class MultiRecorder implements LoopRecorder {
  constructor(private readonly list: LoopRecorder[]) {}
  iteration(r: IterationRecord, task: Task, agent: string): void {
    for (const x of this.list) x.iteration(r, task, agent);
  }
}
