/**
 * The fidelity summary every import prints and stores in `source.fidelity`: how many calls, which
 * token counts and waits were recorded and which estimated or defaulted (from the per-step
 * `estimated` labels the importers set), sub-agents found, and what the importer left out and why.
 * Counted from the output itself, so the summary cannot disagree with what was written.
 */
import type { ImportFidelity, Trajectory } from '../types.js';

export type FidelityNotes = Pick<ImportFidelity, 'leftOut'> & Partial<Pick<ImportFidelity, 'calibration'>>;

export function fidelityOf(t: Trajectory, notes: Partial<FidelityNotes> = {}): ImportFidelity {
  const f: ImportFidelity = {
    calls: 0,
    tokens: { recordedCalls: 0, estimatedCalls: 0, recordedInput: 0, estimatedInput: 0, recordedOutput: 0, estimatedOutput: 0 },
    timings: { recorded: 0, defaulted: 0 },
    modelDurations: 0,
    subAgents: t.agents.filter((a) => a.parent !== null).length,
    contentCalls: 0,
    ...(notes.calibration ? { calibration: notes.calibration } : {}),
    leftOut: notes.leftOut ?? [],
  };
  for (const a of t.agents) {
    for (const s of a.steps) {
      if (s.type === 'llm') {
        f.calls++;
        const est = s.estimated ?? [];
        const inEst = est.includes('input_tokens');
        const outEst = est.includes('output_tokens');
        if (inEst || outEst) f.tokens.estimatedCalls++;
        else f.tokens.recordedCalls++;
        if (inEst) f.tokens.estimatedInput += s.input_tokens;
        else f.tokens.recordedInput += s.input_tokens;
        if (outEst) f.tokens.estimatedOutput += s.output_tokens;
        else f.tokens.recordedOutput += s.output_tokens;
        if (s.duration_ms !== undefined) f.modelDurations++;
        if (s.content?.messages) f.contentCalls++;
      } else if (s.type === 'tool' || s.type === 'think') {
        if (s.type === 'tool' && s.estimated?.includes('duration_ms')) f.timings.defaulted++;
        else f.timings.recorded++;
      }
    }
  }
  return f;
}

/** Sum of several summaries (a whole import), for the printed line. */
export function addFidelity(list: readonly ImportFidelity[]): ImportFidelity {
  const z = fidelityOf({ format: 'agentdyno.trajectory.v1', id: 'sum', source: { kind: 'sum' }, agents: [] });
  for (const f of list) {
    z.calls += f.calls;
    for (const k of Object.keys(z.tokens) as (keyof ImportFidelity['tokens'])[]) z.tokens[k] += f.tokens[k];
    z.timings.recorded += f.timings.recorded;
    z.timings.defaulted += f.timings.defaulted;
    z.modelDurations += f.modelDurations;
    z.subAgents += f.subAgents;
    z.contentCalls += f.contentCalls;
    // Said once per import, however many trajectories share it (a Mooncake file is one per line).
    for (const l of f.leftOut) if (!z.leftOut.some((x) => x.what === l.what && x.why === l.why)) z.leftOut.push(l);
    if (f.calibration) {
      const c = (z.calibration ??= { field: f.calibration.field, recorded: 0, estimatedBefore: 0, residual: 0 });
      c.recorded += f.calibration.recorded;
      c.estimatedBefore += f.calibration.estimatedBefore;
      c.residual += f.calibration.residual;
    }
  }
  return z;
}

const n = (x: number) => x.toLocaleString('en-US');

/** Human lines: "calls 2: tokens recorded 2 (input 14,241 / output 786), estimated 0; …". */
export function fidelityLines(f: ImportFidelity): string[] {
  const t = f.tokens;
  const lines = [
    `calls ${n(f.calls)}: token counts recorded on ${n(t.recordedCalls)} (input ${n(t.recordedInput)}, output ${n(t.recordedOutput)}), ESTIMATED on ${n(t.estimatedCalls)} (input ${n(t.estimatedInput)}, output ${n(t.estimatedOutput)})`,
    `waits (tool/think): recorded ${n(f.timings.recorded)}, DEFAULTED ${n(f.timings.defaulted)}; model durations recorded on ${n(f.modelDurations)} calls (labels, never pacing)`,
    `sub-agents ${n(f.subAgents)}; calls with content kept ${n(f.contentCalls)}`,
  ];
  if (f.calibration) {
    const c = f.calibration;
    lines.push(`calibrated to the recorded ${c.field} ${n(c.recorded)} (estimate before: ${n(c.estimatedBefore)}, residual after: ${n(c.residual)})`);
  }
  for (const l of f.leftOut) lines.push(`left out: ${l.what} (${l.why})`);
  return lines;
}
