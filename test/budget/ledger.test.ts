import { describe, expect, it } from 'vitest';
import { ManualClock, Rng } from '../../src/core/index.js';
import {
  CommitOut,
  BudgetConsumedError, BudgetLedger, BudgetRefusedError, SplitOut, type BudgetHandle, type Reservation,
} from '../../src/budget/index.js';

function ledger(tokens = 1000, extra: Partial<ConstructorParameters<typeof BudgetLedger>[0]> = {}, clock = new ManualClock()) {
  return new BudgetLedger({ tokens, ...extra }, clock);
}

describe('budget ledger', () => {
  it('split consumes the parent and conserves tokens; join returns the unspent part', () => {
    const l = ledger(1000);
    const root: BudgetHandle = l.root();
    const out = new SplitOut();
    root.split([300, 300], out);
    expect(out.children.map((c) => c.path)).toEqual(['root/0', 'root/1']);
    expect(out.remainder.available().tokens).toBe(400);
    expect(l.conservation().ok).toBe(true);
    const a: BudgetHandle = out.children[0];
    const r: Reservation = a.reserve({ inputTokens: 50, maxTokens: 100 });
    r.commit({ promptTokens: 40, completionTokens: 60 });
    expect(a.available().tokens).toBe(200);
    const moved = out.remainder.join(out.children);
    expect(moved.tokens).toBe(500);
    expect(out.remainder.available().tokens).toBe(900);
    expect(l.state.spent.tokens).toBe(100);
    expect(l.conservation().ok).toBe(true);
  });

  it('a consumed handle used through an alias throws at run time', () => {
    const l = ledger();
    const root: BudgetHandle = l.root();
    const alias = root;
    root.split([100], new SplitOut());
    expect(() => alias.reserve({ inputTokens: 1, maxTokens: 1 })).toThrow(BudgetConsumedError);
    // A second handle object for the same path is refused by the ledger's own record too.
    expect(() => l.handle('root')).toThrow(/already consumed/);
    expect(l.conservation().ok).toBe(true);
  });

  it('reserve clamps max_tokens to what is left and refuses when nothing is left', () => {
    const l = ledger(100);
    const root: BudgetHandle = l.root();
    const r1: Reservation = root.reserve({ inputTokens: 30, maxTokens: 500 });
    expect(r1.maxTokens).toBe(70);
    expect(() => root.reserve({ inputTokens: 1, maxTokens: 10 })).toThrow(BudgetRefusedError);
    r1.commit({ promptTokens: 30, completionTokens: 20 });
    const r2: Reservation = root.reserve({ inputTokens: 10, maxTokens: 500, reasoningReserve: 15 });
    expect(r2.maxTokens).toBe(25);
    r2.release();
    expect(root.available().tokens).toBe(50);
    expect(l.events.some((e) => e.kind === 'refuse')).toBe(true);
  });

  it('a usage above the reservation is an estimator fault, covered from slack first, then recorded as overrun', () => {
    const l = ledger(100);
    const root: BudgetHandle = l.root();
    const r: Reservation = root.reserve({ inputTokens: 10, maxTokens: 20 });
    const o1 = new CommitOut();
    r.settle({ promptTokens: 15, completionTokens: 20 }, o1);
    const res = o1.result;
    expect(res.faults).toContain('input_underestimate');
    expect(res.overrun.tokens).toBe(0);
    const r2: Reservation = root.reserve({ inputTokens: 10, maxTokens: 1000 });
    const o2 = new CommitOut();
    r2.settle({ promptTokens: 10, completionTokens: 200 }, o2); // server ignored max_tokens
    const res2 = o2.result;
    expect(res2.faults).toContain('output_over_max_tokens');
    expect(res2.overrun.tokens).toBe(200 - 55);
    expect(l.conservation().ok).toBe(true);
    expect(l.events.filter((e) => e.kind === 'estimator_fault').length).toBe(2);
  });

  it('missing usage charges the whole reservation', () => {
    const l = ledger(100);
    const root: BudgetHandle = l.root();
    const r: Reservation = root.reserve({ inputTokens: 10, maxTokens: 20 });
    const o = new CommitOut();
    r.settle(null, o);
    expect(o.result.faults).toEqual(['missing_usage']);
    expect(root.available().tokens).toBe(70);
  });

  it('using settles a reservation leaked by an exception (forfeit)', () => {
    const l = ledger(100);
    const root: BudgetHandle = l.root();
    expect(() => {
      using r: Reservation = root.reserve({ inputTokens: 10, maxTokens: 20 });
      expect(r.live).toBe(true);
      throw new Error('call blew up');
    }).toThrow('call blew up');
    expect(Object.keys(l.state.reservations)).toHaveLength(0);
    expect(l.state.spent.tokens).toBe(30);
    expect(l.events.at(-1)?.kind).toBe('forfeit');
  });

  it('rejects bad input with clear errors and leaves the ledger unchanged', () => {
    expect(() => ledger(-5)).toThrow(/non-negative integer/);
    expect(() => ledger(1.5)).toThrow(/non-negative integer/);
    expect(() => new BudgetLedger({ tokens: 10, costUsd: 1 })).toThrow(/price table/);
    const l = ledger(100);
    const root: BudgetHandle = l.root();
    expect(() => root.split([60, 50], new SplitOut())).toThrow(/add up to 110 tokens but handle "root" has 100/);
    expect(() => root.split([0.6, 0.5], new SplitOut(), { unit: 'fraction' })).toThrow(/more than 1/);
    expect(() => root.split([-1], new SplitOut())).toThrow(/non-negative integer/);
    expect(root.live).toBe(true);
    const r: Reservation = root.reserve({ inputTokens: 10, maxTokens: 10 });
    expect(() => r.settle({ promptTokens: -1, completionTokens: 2 })).toThrow(/non-negative integer/);
    expect(r.live).toBe(true);
    r.release();
    expect(l.conservation().ok).toBe(true);
    expect(root.available().tokens).toBe(100);
  });

  it('tracks input, output and cost dimensions', () => {
    const l = new BudgetLedger({ tokens: 10_000, outputTokens: 100, costUsd: 0.01, price: { inputPerMTokUsd: 1, outputPerMTokUsd: 10 } }, new ManualClock());
    const root: BudgetHandle = l.root();
    const r: Reservation = root.reserve({ inputTokens: 1000, maxTokens: 5000 });
    // Output cap 100; cost cap $0.01 = 10,000 micro-$: input 1,000 micro-$, output 10 micro-$/tok -> 900.
    expect(r.maxTokens).toBe(100);
    r.commit({ promptTokens: 1000, completionTokens: 50 });
    expect(l.state.spent.costMicroUsd).toBe(1500);
    expect(l.conservation().ok).toBe(true);
  });

  it('caps sub-agents, turns and time, inherited by nested children', () => {
    const clock = new ManualClock();
    const l = ledger(10_000, { wallMs: 1000, limits: { maxTotalSubagents: 3, maxConcurrentSubagents: 3, maxTurns: 2, maxTimeMsPerChild: 500 } }, clock);
    const root: BudgetHandle = l.root();
    expect(() => root.split([1, 1, 1, 1], new SplitOut())).toThrow(/sub-agents/);
    const out = new SplitOut();
    root.split([1000, 1000], out);
    const c: BudgetHandle = out.children[0];
    c.reserve({ inputTokens: 1, maxTokens: 1 }).release();
    c.reserve({ inputTokens: 1, maxTokens: 1 }).release();
    expect(() => c.reserve({ inputTokens: 1, maxTokens: 1 })).toThrow(/model calls/);
    const d: BudgetHandle = out.children[1];
    const nested = new SplitOut();
    expect(() => d.split([10, 10], nested)).toThrow(/sub-agents/);
    d.split([10], nested);
    const g: BudgetHandle = nested.children[0];
    clock.advanceMs(600);
    expect(() => g.reserve({ inputTokens: 1, maxTokens: 1 })).toThrow(/deadline/);
    expect(l.conservation().ok).toBe(true);
  });

  it('property: conservation holds after every operation, with faults injected (seeded)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Rng(seed);
      const l = ledger(rng.int(0, 50_000), { limits: { maxTotalSubagents: 40 } });
      const live: BudgetHandle[] = [l.root()];
      const open: Reservation[] = [];
      const check = () => expect(l.conservation().ok, `seed ${seed}`).toBe(true);
      for (let step = 0; step < 300; step++) {
        const op = rng.int(0, 9);
        try {
          if (op <= 2 && live.length) {
            const h = rng.pick(live);
            const r = h.reserve({ inputTokens: rng.int(0, 300), maxTokens: rng.int(0, 500), reasoningReserve: rng.int(0, 3) === 0 ? rng.int(0, 50) : 0 });
            open.push(r);
          } else if (op <= 5 && open.length) {
            const r = open.splice(rng.int(0, open.length - 1), 1)[0];
            const fault = rng.int(0, 5);
            if (fault === 0) r.settle(null);
            else if (fault === 1) r.release();
            else if (fault === 2) r[Symbol.dispose]();
            else if (fault === 3) r.settle({ promptTokens: rng.int(0, 600), completionTokens: rng.int(0, 1200) }); // ignores max_tokens / bad estimate
            else r.settle({ promptTokens: rng.int(0, 100), completionTokens: rng.int(0, r.maxTokens) });
          } else if (op <= 7 && live.length) {
            const i = rng.int(0, live.length - 1);
            const h = live[i];
            const n = rng.int(1, 4);
            const out = new SplitOut();
            const avail = h.available().tokens;
            const shares = Array.from({ length: n }, () => rng.int(0, Math.ceil(avail / n) + (rng.int(0, 4) === 0 ? 100 : 0)));
            h.split(shares, out, {});
            live.splice(i, 1, ...out.children, out.remainder);
          } else if (op === 8 && live.length > 1) {
            const i = rng.int(0, live.length - 1);
            const h = live.splice(i, 1)[0];
            const into = rng.pick(live);
            h.joinInto(into);
          } else if (live.length) {
            // Misuse: reuse something consumed, or commit a settled reservation.
            const dead = Object.keys(l.state.handles).find((p) => !l.state.handles[p].live);
            if (dead) expect(() => l.handle(dead)).toThrow(BudgetConsumedError);
          }
        } catch (e) {
          if (!(e instanceof Error) || !/AgentdynoError|BudgetRefusedError|BudgetConsumedError/.test(e.name)) throw e;
          // A refused join/split leaves the handle live; keep our list in sync with the ledger.
          for (let k = live.length - 1; k >= 0; k--) if (!l.state.handles[live[k].path].live) live.splice(k, 1);
          for (const p of Object.keys(l.state.handles)) if (l.state.handles[p].live && !live.some((h) => h.path === p)) live.push(l.handle(p));
        }
        check();
      }
      for (const r of open) r.release();
      check();
      expect(Object.keys(l.state.reservations)).toHaveLength(0);
    }
  });
});
