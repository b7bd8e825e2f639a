/**
 * One concurrency level in virtual time (DESIGN 5): N simulated agent lanes drive SimEngine
 * replicas through a discrete-event clock (a priority queue of timed events; no timers, no
 * sockets). Token events happen at each engine step's end, so every call has exact virtual TTFT
 * and decode timestamps. The window calls are judged by replay's own SLO rules (evaluateTiers),
 * with the same window rules as a real level: calls overlapping the steady window, TTFT only for
 * calls sent in it, calls still running at the cut judged on what had arrived.
 * Everything here is SIMULATED: the numbers are the profile's model, not a measurement.
 */
import { evaluateTiers, DEFAULT_SLO_THRESHOLDS, type BindingConstraint, type SloCall, type TierLevelResult, type SloThresholds, type SloTier } from '../../replay/index.js';
import type { Trajectory } from '../../trajectory/index.js';
import { SimEngine, SimEngineError, type SimStep } from '../engine/engine.js';
import type { SimProfile } from '../profile.js';
import { LaneSet, planLaneRng, type AgentRun, type CallSpec, type LaneHost, type LaneState } from './lanes.js';
import { EventQueue } from './queue.js';
import { planningProfile } from './granularity.js';

export interface PlanLevelOptions {
  concurrency: number;
  /** Virtual seconds before the steady window (lanes start staggered over the first half). */
  warmupS: number;
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

/** A tier's verdict at one planned level: the same shape a real level reports. */
export type PlanTierResult = TierLevelResult;

/** A simulated call as a store `requests` row (times in virtual ns from the level start). */
export interface PlanRequestRow {
  level: number;
  lane: number;
  agent: string;
  promptTokens: number;
  cachedTokens: number | null;
  expectedCachedTokens: number;
  outputTokens: number;
  tSchedNs: bigint;
  tSendNs: bigint;
  tFirstNs: bigint | null;
  tLastNs: bigint | null;
  ttftMs: number | null;
  decodeTokPerS: number | null;
  e2eMs: number | null;
  status: string;
  errorClass: string | null;
  inWindow: boolean;
}

export interface PlanLevelResult {
  concurrency: number;
  replicas: number;
  /** Set when only some replicas were simulated: the verdict is judged on their agents. */
  sample: { replicas: number; ofReplicas: number; agents: number; scaledBy: number; note: string } | null;
  simulated: true;
  virtualTime: true;
  valid: boolean;
  reasons: string[];
  windowS: number;
  /** KV block size the simulation accounted in (tokens); see PlanLevelOptions.kvBlockTokens. */
  kvBlockTokens: number;
  callsInWindow: number;
  callsSentInWindow: number;
  agentsActive: number;
  tiers: PlanTierResult[];
  errors: Record<string, number>;
  /** Output tokens generated in the window / window length, all replicas. */
  outputTokPerS: number;
  /** Time-weighted mean batch of busy steps in the window (per replica). */
  meanBatch: number | null;
  meanStepMs: number | null;
  /** Share of the window the engines were busy (mean over replicas). */
  busyShare: number;
  /** Prefix-cache hit share of prompt tokens admitted in the window. */
  prefixHitRate: number | null;
  peakWaiting: number;
  preemptions: number;
  treesCompleted: number;
  /** SIMULATED power: the profile's idle + dynamic(utilization) model, summed over replicas. */
  power: { meanW: number; energyJ: number; simulated: true; boundary: string };
  /** Cost of the simulation itself (wall clock of this process). */
  sim: { events: number; engineSteps: number; wallMs: number };
  requests?: PlanRequestRow[];
}

interface CallRec {
  lane: number;
  agent: AgentRun;
  spec: CallSpec;
  replica: number;
  schedMs: number;
  firstMs: number;
  lastMs: number;
  endMs: number;
  tokens: number;
  tokensAfterWs: number;
  firstAfterWsMs: number;
  lastAfterWsMs: number;
  cachedTokens: number | null;
  errorClass: string | null;
}

type Ev =
  | { k: 'wake'; agent: AgentRun }
  | { k: 'tree'; lane: LaneState }
  | { k: 'step'; replica: number; step: SimStep | null }
  | { k: 'resume'; agent: AgentRun };

const NaNms = Number.NaN;

export function planLevel(baseProfile: SimProfile, trajectories: readonly Trajectory[], opts: PlanLevelOptions): PlanLevelResult {
  const wall0 = performance.now();
  const profile = planningProfile(baseProfile, opts.kvBlockTokens);
  const n = Math.max(1, Math.floor(opts.concurrency));
  const replicas = Math.max(1, Math.floor(opts.replicas ?? 1));
  const thresholds = opts.thresholds ?? DEFAULT_SLO_THRESHOLDS;
  const ws = opts.warmupS * 1000;
  const we = ws + opts.windowS * 1000;
  const cut = we + opts.drainCapS * 1000;
  const sampled = Math.min(replicas, Math.max(1, Math.floor(opts.sampleReplicas ?? replicas)));
  // slot[r]: index of replica r's engine, -1 when replica r is not simulated.
  const slot = new Int32Array(replicas).fill(-1);
  for (let k = 0; k < sampled; k++) slot[Math.floor((k * replicas) / sampled)] = k;
  const scale = replicas / sampled;
  const engines = Array.from({ length: sampled }, () => new SimEngine(profile));
  const busy = new Array<boolean>(sampled).fill(false);
  const q = new EventQueue<Ev>();
  const live = new Map<string, CallRec>();
  const recs: CallRec[] = [];
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

  const kick = (r: number, t: number) => {
    if (busy[r]) return;
    busy[r] = true;
    q.push(t, { k: 'step', replica: r, step: null });
  };

  const host: LaneHost = {
    blockSize: profile.kvCache.blockSize,
    toolTimeScale: opts.toolTimeScale,
    maxIdleGapMs: opts.maxIdleGapMs,
    send(agent, spec, now) {
      const lane = agent.tree.lane.index;
      const replica = slot[lane % replicas];
      const rec: CallRec = { lane, agent, spec, replica, schedMs: now, firstMs: NaNms, lastMs: NaNms, endMs: NaNms, tokens: 0, tokensAfterWs: 0, firstAfterWsMs: NaNms, lastAfterWsMs: NaNms, cachedTokens: null, errorClass: null };
      recs.push(rec);
      const inWindow = !spec.warmup && now >= ws && now < we;
      const id = String(nextId++);
      try {
        engines[replica].submit({ id, promptTokens: spec.promptTokens, outputTokens: spec.outputTokens, blockHashes: spec.blockHashes }, now);
      } catch (e) {
        if (!(e instanceof SimEngineError)) throw e;
        // The server would refuse it (context overflow): an error call; the agent goes on as recorded.
        rec.errorClass = 'context_overflow';
        rec.endMs = now;
        q.push(now, { k: 'resume', agent });
        return;
      }
      if (inWindow) pendingWindowCalls++;
      live.set(id, rec);
      kick(replica, now);
    },
    wake(agent, at) {
      q.push(at, { k: 'wake', agent });
    },
    nextTree(lane, at) {
      q.push(at, { k: 'tree', lane });
    },
  };
  const lanes = new LaneSet(host, trajectories, opts.midStart ?? true);
  // Staggered start over the first half of the warm-up: a steady population, not a thundering herd.
  const rampMs = ws / 2;
  const laneStates: LaneState[] = [];
  for (let i = 0; i < n; i++) {
    if (slot[i % replicas] < 0) continue;
    const lane: LaneState = { index: i, rng: planLaneRng(opts.seed, i), cycle: 0, treesCompleted: 0 };
    laneStates.push(lane);
    q.push(rampMs * lane.rng.next(), { k: 'tree', lane });
  }
  for (const e of engines) e.startAccounting(0);
  let markedWs = false;
  let markedWe = false;

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
        lanes.advance(rec.agent, t);
      }
    }
  };

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
    if (tNext > cut || (tNext >= we && pendingWindowCalls === 0)) break;
    const { tMs: t, data } = q.pop()!;
    events++;
    switch (data.k) {
      case 'tree':
        lanes.startTree(data.lane, t);
        break;
      case 'wake':
      case 'resume':
        lanes.advance(data.agent, t);
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
  }
  if (!markedWs) energyWs = energyAt(ws);
  if (!markedWe) energyWe = energyAt(we);
  return summarize();

  function summarize(): PlanLevelResult {
    const tiers = opts.tiers;
    const sloCalls: SloCall[] = [];
    const errors: Record<string, number> = {};
    let callsInWindow = 0;
    let callsSentInWindow = 0;
    for (const r of recs) {
      if (r.spec.warmup || r.schedMs >= we) continue;
      const ended = !Number.isNaN(r.endMs);
      if (ended && r.endMs < ws) continue;
      callsInWindow++;
      const sent = r.schedMs >= ws;
      if (sent) callsSentInWindow++;
      const agent = String(r.lane);
      if (r.errorClass) {
        if (sent) {
          errors[r.errorClass] = (errors[r.errorClass] ?? 0) + 1;
          sloCalls.push({ agent, ok: false, errorClass: r.errorClass, ttftMs: null, decodeTokPerS: null });
        }
        continue;
      }
      let ttftMs: number | null = null;
      let ttftAtLeastMs: number | null = null;
      if (sent) {
        if (!Number.isNaN(r.firstMs)) ttftMs = r.firstMs - r.schedMs;
        else ttftAtLeastMs = cut - r.schedMs;
      }
      let decode: number | null = null;
      if (ended && sent) decode = r.tokens > 1 && r.lastMs > r.firstMs ? ((r.tokens - 1) * 1000) / (r.lastMs - r.firstMs) : null;
      else if (r.tokensAfterWs >= 4 && r.lastAfterWsMs > r.firstAfterWsMs) decode = ((r.tokensAfterWs - 1) * 1000) / (r.lastAfterWsMs - r.firstAfterWsMs);
      else if (!sent) continue;
      sloCalls.push({ agent, ok: true, ttftMs, decodeTokPerS: decode, ttftAtLeastMs });
    }
    const verdicts = evaluateTiers(sloCalls, tiers, thresholds);
    const agentsActive = new Set(sloCalls.map((c) => c.agent)).size;
    const reasons: string[] = [];
    const errCount = Object.values(errors).reduce((s, x) => s + x, 0);
    if (callsSentInWindow && errCount / callsSentInWindow > 0.01)
      reasons.push(`context overflows ${((errCount / callsSentInWindow) * 100).toFixed(1)}% of window calls (limit 1%)`);
    const lanesRun = laneStates.length;
    if (agentsActive < 0.5 * lanesRun) reasons.push(`window too short for the call lengths: only ${agentsActive} of ${lanesRun} ${sampled < replicas ? 'sampled ' : ''}agents had a call to judge in it (minimum 50%)`);
    const windowMs = we - ws;
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
      kvBlockTokens: profile.kvCache.blockSize,
      callsInWindow,
      callsSentInWindow,
      agentsActive,
      tiers: verdicts.map(({ agents: _a, thresholds: _t, ...v }) => v),
      errors,
      outputTokPerS: (win.tokens * 1000 * scale) / windowMs,
      meanBatch: win.busyMs > 0 ? win.batchMs / win.busyMs : null,
      meanStepMs: win.steps > 0 ? win.busyMs / win.steps : null,
      busyShare: win.busyMs / (windowMs * sampled),
      prefixHitRate: win.promptTokens > 0 ? win.hitTokens / win.promptTokens : null,
      peakWaiting,
      preemptions: win.preemptions,
      treesCompleted: laneStates.reduce((s, l) => s + l.treesCompleted, 0),
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

const ns = (ms: number): bigint => BigInt(Math.round(ms * 1e6));

function requestRow(r: CallRec, level: number, ws: number, we: number): PlanRequestRow {
  const ok = !r.errorClass && !Number.isNaN(r.endMs);
  const hasFirst = !Number.isNaN(r.firstMs);
  return {
    level,
    lane: r.lane,
    agent: `${r.agent.tree.trajectory.id}/${r.agent.agentId}#${r.agent.tree.cycle}${r.spec.warmup ? ' (warm-up)' : ''}`,
    promptTokens: r.spec.promptTokens,
    cachedTokens: r.cachedTokens,
    expectedCachedTokens: r.spec.expectedCachedTokens,
    outputTokens: r.tokens,
    tSchedNs: ns(r.schedMs),
    tSendNs: ns(r.schedMs),
    tFirstNs: hasFirst ? ns(r.firstMs) : null,
    tLastNs: hasFirst ? ns(r.lastMs) : null,
    ttftMs: hasFirst ? r.firstMs - r.schedMs : null,
    decodeTokPerS: ok && r.tokens > 1 && r.lastMs > r.firstMs ? ((r.tokens - 1) * 1000) / (r.lastMs - r.firstMs) : null,
    e2eMs: ok ? r.endMs - r.schedMs : null,
    status: r.errorClass ? 'error' : ok ? 'ok' : 'cut',
    errorClass: r.errorClass,
    inWindow: !r.spec.warmup && r.schedMs >= ws && r.schedMs < we,
  };
}
