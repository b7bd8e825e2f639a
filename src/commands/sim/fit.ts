import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { stringify } from 'yaml';
import { AgentdynoCommand, AgentdynoError, checkOutputPath } from '../../core/index.js';
import { loadProfile, validateProfile } from '../../sim/index.js';
import { fitStepTime, fittedProfileYaml, levelLoads, type StepTimeFit } from '../../plan/index.js';
import { openStore } from '../../store/index.js';

/** Fewest levels with completed calls that separate the load terms (batch, KV, prefill) at all. */
const MIN_LEVELS = 3;
const MIN_ROWS = 20;

export interface SimFitResult {
  runId: string;
  label: 'FITTED from a stored sweep; illustrative';
  baseProfile: string;
  out: string;
  fit: StepTimeFit;
  /** Base profile's step-time coefficients, for comparison. */
  baseCoefficients: { a: number; b: number; c: number; d: number };
}

export default class SimFit extends AgentdynoCommand {
  static override description =
    "Fit a simulator profile's step-time model (step ms = a + b*batch + c*KV tokens + d*prefill tokens) to the stored request rows of a sweep (decode rates and TTFTs at several concurrency levels), and write it as a profile YAML labelled as fitted from that run (illustrative), so `agentdyno sim plan --profile FILE` can plan a larger deployment from your own measurements. Scheduler, KV cache and power are copied from --profile, not fitted.";
  static override examples = [
    '<%= config.bin %> sim fit sweep-20261123-120000-ab12',
    '<%= config.bin %> sim fit sweep-20261123-120000-ab12 --profile h100-illustrative --out results/my-h100.yaml',
    '<%= config.bin %> sim fit sweep-20261123-120000-ab12 --json --db /data/agentdyno.db',
  ];
  static override args = { runId: Args.string({ description: 'id of a stored sweep run (see `agentdyno results list --kind sweep`)', required: true }) };
  static override flags = {
    profile: Flags.string({ description: 'Base profile (name or YAML path) whose scheduler, KV cache and power the fitted profile keeps; its scheduler limits also decide which TTFT rows are used.', default: 'small' }),
    out: Flags.string({ description: 'Where to write the fitted profile YAML (default: fitted-RUN_ID.yaml beside the results database).' }),
    db: Flags.string({ description: 'results database (default: $AGENTDYNO_DB or results/agentdyno.db)' }),
    force: Flags.boolean({ description: 'replace --out if it exists', default: false }),
  };

  async run(): Promise<SimFitResult> {
    const { args, flags } = await this.parse(SimFit);
    const base = loadProfile(flags.profile);
    const store = openStore(flags.db, { mustExist: true });
    let rows;
    try {
      store.requireRun(args.runId);
      rows = store.getRequests(args.runId);
    } finally {
      store.close();
    }
    const where = `run ${args.runId} in ${store.path}`;
    const loads = levelLoads(rows);
    const usable = rows.filter((r) => r.status === 'ok' && !(r.agent ?? '').includes('warm-up')).length;
    if (loads.length < MIN_LEVELS || usable < MIN_ROWS) {
      throw new AgentdynoError(
        `too little to fit: ${loads.length} level(s) with completed calls (need ${MIN_LEVELS}) and ${usable} completed non-warm-up request rows (need ${MIN_ROWS}); the step-time terms can only be told apart across several load levels.`,
        { code: 'E_INPUT_INVALID', where, hint: 'Fit a sweep that ran at least 3 levels (e.g. `agentdyno sweep --target URL --max-levels 6`), not a single replay.' },
      );
    }
    let fit: StepTimeFit;
    try {
      fit = fitStepTime(rows, base.scheduler);
    } catch (e) {
      if (e instanceof RangeError) throw new AgentdynoError(e.message, { code: 'E_INPUT_INVALID', where, hint: 'Fit a sweep with more completed calls per level.' });
      throw e;
    }
    if (fit.coefficients.a + fit.coefficients.b <= 0)
      throw new AgentdynoError('the fit gave a step time of 0 at batch 1 (a = b = 0), which no profile may have', { code: 'E_INPUT_INVALID', where, hint: 'The run\'s timings do not follow the step-time model; fit a longer sweep.' });
    const date = new Date();
    const doc = fittedProfileYaml(base, fit, args.runId, date);
    validateProfile(doc, '(fitted profile)'); // the YAML we write must load back
    const out = resolve(flags.out ?? resolve(dirname(store.path === ':memory:' ? resolve('results/x') : store.path), `fitted-${args.runId}.yaml`));
    checkOutputPath(out, { inputs: [store.path, `${store.path}-wal`, `${store.path}-shm`, flags.profile], force: flags.force, flag: '--out' });
    const header = [
      `# FITTED (illustrative) from stored run ${args.runId} on ${date.toISOString()} by \`agentdyno sim fit\`.`,
      `# step_time_ms by non-negative least squares over ${fit.rows.decode} decode-rate and ${fit.rows.ttft} TTFT rows at ${fit.levels.length} levels.`,
      `# R^2 decode ${fmt(fit.r2.decode)}, TTFT ${fmt(fit.r2.ttft)}, all ${fmt(fit.r2.all)}; median |relative residual| decode ${pct(fit.residuals.decodeMedianAbs)}, TTFT ${pct(fit.residuals.ttftMedianAbs)}.`,
      `# Clamped to 0 by the non-negativity constraint: ${fit.clamped.length ? fit.clamped.join(', ') : 'none'}.`,
      `# Scheduler, KV cache and power copied from base profile "${base.name}" (not fitted). Not a measurement.`,
    ].join('\n');
    try {
      if (!existsSync(dirname(out))) mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, `${header}\n${stringify(doc, { lineWidth: 0 })}`);
    } catch (e) {
      throw new AgentdynoError(`cannot write the fitted profile: ${(e as Error).message}`, { code: 'E_INPUT_INVALID', where: out, hint: 'Pick another path with --out.' });
    }
    const result: SimFitResult = { runId: args.runId, label: 'FITTED from a stored sweep; illustrative', baseProfile: base.name, out, fit, baseCoefficients: base.stepTimeMs };
    if (!this.jsonEnabled()) this.log(formatFit(result));
    return result;
  }
}

const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

function formatFit(r: SimFitResult): string {
  const { a, b, c, d } = r.fit.coefficients;
  const lines = [
    `agentdyno sim fit ${r.runId}: step time ms = a + b*batch + c*KV tokens + d*prefill tokens (FITTED, illustrative)`,
    `  a ${a.toPrecision(4)} ms   b ${b.toPrecision(4)} ms/seq   c ${c.toPrecision(4)} ms/KV token   d ${d.toPrecision(4)} ms/prefill token${r.fit.clamped.length ? `   (clamped to 0: ${r.fit.clamped.join(', ')})` : ''}`,
    `  base profile ${r.baseProfile}: a ${r.baseCoefficients.a}, b ${r.baseCoefficients.b}, c ${r.baseCoefficients.c}, d ${r.baseCoefficients.d} (scheduler, KV cache and power kept from it)`,
    `  fit quality: R^2 decode ${fmt(r.fit.r2.decode)} (${r.fit.rows.decode} rows), TTFT ${fmt(r.fit.r2.ttft)} (${r.fit.rows.ttft} rows), all ${fmt(r.fit.r2.all)}; |relative residual| decode median ${pct(r.fit.residuals.decodeMedianAbs)} p90 ${pct(r.fit.residuals.decodeP90Abs)}, TTFT median ${pct(r.fit.residuals.ttftMedianAbs)} p90 ${pct(r.fit.residuals.ttftP90Abs)}`,
    '  level  calls  est. batch  ctx tokens  prefill tok/ms  decode step ms',
    ...r.fit.levels.map((l) => `  ${String(l.level).padStart(5)}  ${String(l.calls).padStart(5)}  ${l.batch.toFixed(1).padStart(10)}  ${l.ctxTokens.toFixed(0).padStart(10)}  ${l.prefillTokPerMs.toFixed(2).padStart(14)}  ${l.meanDecodeStepMs === null ? '-' : l.meanDecodeStepMs.toFixed(1).padStart(14)}`),
    `  wrote ${r.out} (plan with it: agentdyno sim plan --profile ${r.out})`,
    '  TTFT rows carry queueing the model lacks, so their fit is looser; the coefficients trade off (b vs c) where loads are collinear: trust predicted step times at the measured loads more than single coefficients.',
  ];
  return lines.join('\n');
}
