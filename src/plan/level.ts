/**
 * One concurrency level in virtual time (DESIGN 5): the virtual-time driver of the lane program
 * (trajectory/program.ts, the one replay's HTTP lanes run too) over SimEngine replicas, through a
 * discrete-event clock (a priority queue of timed events; no timers, no sockets). Token events
 * happen at each engine step's end, so every call has exact virtual TTFT and decode timestamps.
 * The level follows replay's steady-state rule (staggered starts over the warm-up, the window
 * opens warmupS after half the lanes finished a full call) and its calls are judged by the SLO
 * core (src/slo) from the same CallObservations replay builds.
 * Everything here is SIMULATED: the numbers are the profile's model, not a measurement.
 */
import {
  DEFAULT_SLO_THRESHOLDS,
  DEFAULT_VALIDITY,
  decodeTokPerS,
  judgeWindow,
  levelValidity,
  steadyLaneCount,
  type CallObservation,
  type IdleSpan,
  type JudgedShare,
  type LevelWindow,
  type SloThresholds,
  type SloTier,
  type TierSummary,
  type ValidityThresholds,
} from '../slo/index.js';
import { LaneProgram, type AgentHandle, type ProgramAction, type Trajectory } from '../trajectory/index.js';
import { SimEngine, SimEngineError, type SimProfile, type SimStep } from '../sim/index.js';
import { PlanPrompts, type CallSpec } from './lanes.js';
import { EventQueue } from './queue.js';
import { planningProfile } from './granularity.js';
import { judgePlanCalls, requestRow, type PlanCallRec, type PlanLevelResult } from './calls.js';

export interface PlanLevelOptions {
  concurrency: number;
  /** Lanes start staggered over this many virtual seconds; the window opens this long after half the lanes finished a full call. */
  warmupS: number;
  /** Give up waiting for the steady state after this many virtual seconds (the level is then invalid). Default 600. */
  warmupCapS?: number;
  /** Pause after a failed call (context overflow), as replay's lanes do (default 250 ms). */
  errorPauseMs?: number;
  validity?: ValidityThresholds;
  windowS: number;
  /** Virtual seconds the load stays on after the window for window calls to finish. */
  drainCapS: number;
  toolTimeScale: number;
  maxIdleGapMs: number | null;
  seed: number;
  tiers: readonly SloTier[];
  thresholds?: SloThresholds;
  /** Start each lane's first tree at a random root turn (after a warm-up request). Default true. */
  midStart?: boolean;
  /** Engine replicas behind the lanes; lane i is pinned to replica i mod replicas (session affinity). */
  replicas?: number;
  /**
   * Simulate only this many of the replicas (evenly spaced) with exactly the lanes pinned to them.
   * Replicas share nothing, so each sampled replica runs exactly as in the full simulation; the
   * level's SLO verdict is then judged on the sampled agents and power/throughput scaled by
   * replicas / sampled (an ESTIMATE, labelled in the result). Default: all replicas.
   */
  sampleReplicas?: number;
  /** Return one row per call (store `requests` shape, virtual ns), e.g. to test `sim fit`. */
  keepRequests?: boolean;
  /**
   * KV block size the simulation accounts in (a multiple of the profile's; capacity in tokens kept).
   * Engine cost is per block of every prompt, so coarser blocks buy speed at 10^4 agents for a
   * prefix-hit granularity of this many tokens. Default: the profile's block size (exact).
   */
  kvBlockTokens?: number;
}

type Ev =
  | { k: 'wake'; lane: number; act: Extract<ProgramAction, { kind: 'wait' | 'lane-wait' }> }
  | { k: 'failed'; rec: PlanCallRec }
  | { k: 'step'; replica: number; step: SimStep | null }
  | { k: 'cap' };

const NaNms = Number.NaN;

export function planLevel(baseProfile: SimProfile, trajectories: readonly Trajectory[], opts: PlanLevelOptions): PlanLevelResult {
  const wall0 = performance.now();
  const profile = planningProfile(baseProfile, opts.kvBlockTokens);
  const n = Math.max(1, Math.floor(opts.concurrency));
  const replicas = Math.max(1, Math.floor(opts.replicas ?? 1));
  const thresholds = opts.thresholds ?? DEFAULT_SLO_THRESHOLDS;
  if (!trajectories.length) throw new RangeError('the planner needs at least one trajectory');
  const warmupMs = opts.warmupS * 1000;
  const capMs = (opts.warmupCapS ?? 600) * 1000;
  // Set when the steady state is reached (or the cap passes).
  let ws = Infinity;
  let we = Infinity;
  let cut = Infinity;
  let lanesWithFullCycle = 0;
  let warmupCompleted = false;
  const sampled = Math.min(replicas, Math.max(1, Math.floor(opts.sampleReplicas ?? replicas)));
  // slot[r]: index of replica r's engine, -1 when replica r is not simulated.
  const slot = new Int32Array(replicas).fill(-1);
  for (let k = 0; k < sampled; k++) slot[Math.floor((k * replicas) / sampled)] = k;
  const scale = replicas / sampled;
  const engines = Array.from({ length: sampled }, () => new SimEngine(profile));
  const busy = new Array<boolean>(sampled).fill(false);
  const q = new EventQueue<Ev>();
  const live = new Map<string, PlanCallRec>();
  const recs: PlanCallRec[] = [];
  const idle: IdleSpan[] = [];
  let nextId = 0;
  let events = 0;
  let steps = 0;
  let pendingWindowCalls = 0;
  // Window accounting from engine steps (a step counts where its end falls).
  const win = { busyMs: 0, batchMs: 0, steps: 0, tokens: 0, promptTokens: 0, hitTokens: 0, preemptions: 0 };
  let peakWaiting = 0;
  const energyAt = (t: number) => engines.reduce((s, e) => s + e.energyJ(t), 0);
  let energyWs = 0;
  let energyWe = 0;
  const prompts = new PlanPrompts(profile.kvCache.blockSize);

  const kick = (r: number, t: number) => {
    if (busy[r]) return;
    busy[r] = true;
    q.push(t, { k: 'step', replica: r, step: null });
  };

  // The lanes: one lane program each (lane i pinned to replica i mod replicas), and the steady-state counters.
  const programs = new Map<number, LaneProgram>();
  const warm = new Set<number>();
  const full = new Set<number>();
  for (let i = 0; i < n; i++) {
    if (slot[i % replicas] < 0) continue;
    programs.set(i, new LaneProgram({ lane: i, seed: opts.seed, trajectories, toolTimeScale: opts.toolTimeScale, maxIdleGapMs: opts.maxIdleGapMs, midStart: opts.midStart ?? true, errorPauseMs: opts.errorPauseMs ?? 250 }));
  }
  const lanesRun = programs.size;
  const need = steadyLaneCount(lanesRun);
  const seenCall = new Set<number>();

  const handle = (lane: number, acts: ProgramAction[], now: number) => {
    for (const act of acts) {
      if (act.kind !== 'call') {
        if (act.kind === 'wait' && (act.wait === 'tool' || act.wait === 'think')) idle.push({ agent: String(lane), startMs: act.fromMs, endMs: act.untilMs, kind: act.wait });
        q.push(act.untilMs, { k: 'wake', lane, act });
        continue;
      }
      if (!seenCall.has(lane)) {
        seenCall.add(lane);
        if (!act.warmup) warm.add(lane);
      }
      const spec = prompts.spec(act);
      const replica = slot[lane % replicas];
      const rec: PlanCallRec = { lane, agent: act.agent, step: act.step.index, spec, replica, schedMs: act.dueMs, sendMs: now, firstMs: NaNms, lastMs: NaNms, endMs: NaNms, tokens: 0, tokensAfterWs: 0, firstAfterWsMs: NaNms, lastAfterWsMs: NaNms, cachedTokens: null, errorClass: null };
      recs.push(rec);
      const id = String(nextId++);
      try {
        engines[replica].submit({ id, promptTokens: spec.promptTokens, outputTokens: spec.outputTokens, blockHashes: spec.blockHashes }, now);
      } catch (e) {
        if (!(e instanceof SimEngineError)) throw e;
        // The server would refuse it (context overflow): an error call; the agent goes on as recorded.
        rec.errorClass = 'context_overflow';
        rec.endMs = now;
        q.push(now, { k: 'failed', rec });
        continue;
      }
      if (!spec.warmup && act.dueMs >= ws && act.dueMs < we) pendingWindowCalls++;
      live.set(id, rec);
      kick(replica, now);
    }
  };

  const ended = (rec: PlanCallRec, ok: boolean, t: number) => {
    if (rec.spec.warmup) warm.add(rec.lane);
    else full.add(rec.lane);
    handle(rec.lane, programs.get(rec.lane)!.callDone(rec.agent, rec.spec.warmup || ok, t), t);
  };

  /** The steady-state rule: every lane warmed up and half of them past a full call, or the cap; then warmupS to settle. */
  const checkSteady = (t: number) => {
    if (ws !== Infinity) return;
    const warmed = warm.size >= lanesRun;
    if ((warmed && full.size >= need) || t >= capMs) {
      warmupCompleted = warmed;
      lanesWithFullCycle = full.size;
      ws = t + warmupMs;
      we = ws + opts.windowS * 1000;
      cut = we + opts.drainCapS * 1000;
    }
  };

  for (const [i, p] of programs) handle(i, p.startAfterStagger(0, warmupMs), 0);
  q.push(capMs, { k: 'cap' });
  for (const e of engines) e.startAccounting(0);
  let markedWs = false;
  let markedWe = false;
  let lastT = 0;

  const onStep = (s: SimStep, t: number) => {
    if (t > ws && t <= we) {
      win.busyMs += s.durationMs;
      win.batchMs += s.batch * s.durationMs;
      win.steps++;
      win.preemptions += s.preempted.length;
    }
    for (const ev of s.events) {
      const rec = live.get(ev.id);
      if (!rec) continue;
      if (ev.newTokens > 0) {
        rec.tokens += ev.newTokens;
        if (ev.firstToken) {
          rec.firstMs = t;
          rec.cachedTokens = ev.cachedTokens;
          if (t > ws && t <= we && !rec.spec.warmup) {
            win.promptTokens += ev.promptTokens;
            win.hitTokens += ev.cachedTokens;
          }
        }
        rec.lastMs = t;
        if (t >= ws) {
          if (t <= we) win.tokens += ev.newTokens;
          rec.tokensAfterWs += ev.newTokens;
          if (Number.isNaN(rec.firstAfterWsMs)) rec.firstAfterWsMs = t;
          rec.lastAfterWsMs = t;
        }
      }
      if (ev.finished) {
        rec.endMs = t;
        live.delete(ev.id);
        if (!rec.spec.warmup && rec.schedMs >= ws && rec.schedMs < we) pendingWindowCalls--;
        ended(rec, true, t);
      }
    }
  };

  let cutMs = Infinity;
  for (;;) {
    const tNext = q.peekMs();
    if (tNext === Infinity) break;
    if (!markedWs && tNext >= ws) {
      energyWs = energyAt(ws);
      markedWs = true;
    }
    if (!markedWe && tNext >= we) {
      energyWe = energyAt(we);
      markedWe = true;
    }
    if (tNext > cut) {
      cutMs = cut;
      break;
    }
    if (tNext >= we && pendingWindowCalls === 0) {
      cutMs = Math.max(we, lastT);
      break;
    }
    const { tMs: t, data } = q.pop()!;
    lastT = t;
    events++;
    switch (data.k) {
      case 'wake': {
        const p = programs.get(data.lane)!;
        const a = data.act;
        handle(data.lane, a.kind === 'lane-wait' ? (a.wait === 'stagger' ? p.start(t) : p.waitDone(null, t, a.wait)) : p.waitDone(a.agent, t, a.wait), t);
        break;
      }
      case 'failed':
        ended(data.rec, false, t);
        break;
      case 'cap':
        break;
      case 'step': {
        const r = data.replica;
        if (data.step) onStep(data.step, t);
        const eng = engines[r];
        if (!eng.hasWork()) {
          busy[r] = false;
          break;
        }
        const w = eng.stats().waiting;
        if (w > peakWaiting) peakWaiting = w;
        const s = eng.step(t);
        steps++;
        // A null step with work left cannot normally happen; retry after the fixed cost rather than stall.
        q.push(s ? s.endMs : t + Math.max(1, profile.stepTimeMs.a), { k: 'step', replica: r, step: s });
        break;
      }
    }
    checkSteady(t);
  }
  if (cutMs === Infinity) cutMs = Number.isFinite(cut) ? Math.min(cut, Math.max(we, lastT)) : lastT;
  if (!markedWs) energyWs = energyAt(Number.isFinite(ws) ? ws : lastT);
  if (!markedWe) energyWe = energyAt(Number.isFinite(we) ? we : lastT);
  return summarize();

  function summarize(): PlanLevelResult {
    const tiers = opts.tiers;
    const window: LevelWindow = { startMs: ws, endMs: we, cutMs };
    const { calls, verdicts } = judgePlanCalls(recs, [...programs.keys()], idle, window, tiers, thresholds);
    const errors: Record<string, number> = {};
    let callsSentInWindow = 0;
    for (const r of recs) {
      if (r.spec.warmup || r.schedMs < ws || r.schedMs >= we) continue;
      callsSentInWindow++;
      if (r.errorClass) errors[r.errorClass] = (errors[r.errorClass] ?? 0) + 1;
    }
    const errCount = Object.values(errors).reduce((s, x) => s + x, 0);
    const windowMs = we - ws;
    const errorRate = callsSentInWindow ? errCount / callsSentInWindow : 0;
    const { reasons, share } = levelValidity(
      { lanes: lanesRun, windowS: windowMs / 1000, errorRate, contextOverflowRate: errorRate, warmupCompleted, interrupted: false, lanesWithFullCycle },
      verdicts,
      opts.validity ?? DEFAULT_VALIDITY,
    );
    const energyJ = energyWe - energyWs;
    const result: PlanLevelResult = {
      concurrency: n,
      replicas,
      sample:
        sampled < replicas
          ? { replicas: sampled, ofReplicas: replicas, agents: lanesRun, scaledBy: scale, note: `ESTIMATE: ${sampled} of ${replicas} identical replicas simulated exactly (${lanesRun} of ${n} agents); SLO verdict judged on those agents, power and throughput scaled x${scale.toFixed(3)}` }
          : null,
      simulated: true,
      virtualTime: true,
      valid: reasons.length === 0,
      reasons,
      windowS: windowMs / 1000,
      windowStartS: ws / 1000,
      endS: cutMs / 1000,
      lanesWithFullCycle,
      judged: share,
      kvBlockTokens: profile.kvCache.blockSize,
      callsInWindow: calls.length,
      callsSentInWindow,
      agentsActive: share.agentsActive,
      tiers: verdicts.map(({ agents: _a, thresholds: _t, ...v }) => v),
      errors,
      outputTokPerS: (win.tokens * 1000 * scale) / windowMs,
      meanBatch: win.busyMs > 0 ? win.batchMs / win.busyMs : null,
      meanStepMs: win.steps > 0 ? win.busyMs / win.steps : null,
      busyShare: win.busyMs / (windowMs * sampled),
      prefixHitRate: win.promptTokens > 0 ? win.hitTokens / win.promptTokens : null,
      peakWaiting,
      preemptions: win.preemptions,
      treesCompleted: [...programs.values()].reduce((s, p) => s + p.treesCompleted, 0),
      power: {
        meanW: (energyJ * scale * 1000) / windowMs,
        energyJ: energyJ * scale,
        simulated: true,
        boundary: `simulated engine power model of profile "${profile.name}" x ${replicas} replica(s) (idle + dynamic x utilization)${sampled < replicas ? `; ${sampled} simulated, scaled x${scale.toFixed(3)}` : ''}`,
      },
      sim: { events, engineSteps: steps, wallMs: performance.now() - wall0 },
    };
    if (opts.keepRequests) result.requests = recs.map((r) => requestRow(r, n, ws, we));
    return result;
  }
}
