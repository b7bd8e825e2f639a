/**
 * Affine budget handles, in two views of one object:
 *
 * - `RuntimeBudgetHandle` / `RuntimeReservation` (what the ledger hands out): plain methods, so
 *   code without type annotations compiles (assertion methods on an inferred binding are TS2775 /
 *   TS2776). Every misuse is caught at run time: each method checks a private live flag and the
 *   ledger's own record, and throws `BudgetConsumedError` (E_BUDGET_MISUSE).
 * - `BudgetHandle` / `Reservation` (what a binding is annotated with): the same object, whose
 *   consuming methods assert `this is never` (and `absorb` asserts its argument), so a later use of
 *   the same binding is a compile error (TS2339 on `never`).
 *
 * Compile errors (with `: BudgetHandle` / `: Reservation` on the binding): use after split,
 * splitEven or joinInto; use of a child after `parent.absorb(child)`; settle or commit or release
 * twice, in any order; use after a helper declared `(h: BudgetHandle): asserts h is never`.
 * Run-time errors only: use through an alias (`const a = h`), through `any` or JavaScript, of a
 * child after `join([child, ...])` (array elements cannot be narrowed), after a helper without
 * that assertion, and on any binding left unannotated. docs/budget-types.md lists each with its test.
 *
 * Assertion methods must return void, so `split` and `settle` fill out-parameters.
 */
import { type Clock, monotonicClock } from '../core/index.js';
import {
  type SplitOptions, type ReserveRequest, type UsageReport, type CommitResult,
  opSplit, opReserve, opCommit, opRelease, opForfeit, opJoin,
} from './ops.js';
import {
  type Amounts, type BudgetEvent, type LedgerState, type RootSpec, BudgetConsumedError, conservation, newLedgerState, liveHandle,
} from './state.js';

// Node 20 has no Symbol.dispose; TypeScript's down-levelled `using` looks it up at run time.
(Symbol as { dispose?: symbol }).dispose ??= Symbol.for('nodejs.dispose');

/** Where the ledger state lives: in memory, or in a SQLite file shared by processes. */
export interface LedgerBackend {
  /** Run `fn` atomically over the current state; events it emits are recorded. */
  transact<T>(fn: (state: LedgerState, events: BudgetEvent[]) => T): T;
  readonly clock: Clock;
}

export class MemoryBackend implements LedgerBackend {
  readonly log: BudgetEvent[] = [];
  private listeners: ((e: BudgetEvent) => void)[] = [];
  constructor(readonly state: LedgerState, readonly clock: Clock, private readonly keepLog = true) {}
  transact<T>(fn: (state: LedgerState, events: BudgetEvent[]) => T): T {
    const events: BudgetEvent[] = [];
    try {
      return fn(this.state, events);
    } finally {
      // Refusals are recorded even though the operation threw.
      for (const e of events) {
        if (this.keepLog) this.log.push(e);
        for (const l of this.listeners) l(e);
      }
    }
  }
  onEvent(l: (e: BudgetEvent) => void): void {
    this.listeners.push(l);
  }
}

export class SplitOut {
  children: RuntimeBudgetHandle[] = [];
  /** What the parent held beyond the children's shares; belongs to the parent's agent. */
  remainder!: RuntimeBudgetHandle;
}

/** What `settle` reports (an out-parameter: an assertion method returns void). */
export class CommitOut {
  result!: CommitResult;
}

export class RuntimeBudgetHandle {
  #live = true;
  constructor(private readonly backend: LedgerBackend, readonly path: string) {}

  private check(op: string): void {
    if (!this.#live) throw new BudgetConsumedError(`budget handle "${this.path}"`, `${op} on ${this.path}`);
  }

  get live(): boolean {
    return this.#live && this.backend.transact((s) => s.handles[this.path]?.live === true);
  }

  /** What this handle can still spend or give away. */
  available(): Amounts {
    this.check('available');
    return this.backend.transact((s) => ({ ...liveHandle(s, this.path).available }));
  }

  /** Consume this handle: children get `shares`, the remainder keeps the rest. */
  split(shares: readonly number[], out: SplitOut, opts: SplitOptions = {}): void {
    this.check('split');
    const r = this.backend.transact((s, ev) => opSplit(s, this.path, shares, opts, this.backend.clock.nowMs(), ev));
    this.#live = false;
    out.children = r.children.map((p) => new RuntimeBudgetHandle(this.backend, p));
    out.remainder = new RuntimeBudgetHandle(this.backend, r.remainder);
  }

  /** Equal split into `n` children (integer division; the odd tokens stay in the remainder). */
  splitEven(n: number, out: SplitOut, holdTokens = 0): void {
    this.check('split');
    const avail = this.available().tokens - holdTokens;
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`splitEven: n must be a positive integer, got ${n}`);
    const each = Math.max(0, Math.floor(avail / n));
    this.split(Array.from({ length: n }, () => each), out);
  }

  /** Synchronous check-and-debit before a model call; returns the max_tokens to send. */
  reserve(req: ReserveRequest): RuntimeReservation {
    this.check('reserve');
    const r = this.backend.transact((s, ev) => opReserve(s, this.path, req, this.backend.clock.nowMs(), ev));
    return new RuntimeReservation(this.backend, r.id, this.path, r.maxTokens, r.amounts);
  }

  /** Consume this handle, returning what it holds to `parent`. */
  joinInto(parent: RuntimeBudgetHandle): void {
    this.check('join');
    parent.check('join');
    this.backend.transact((s, ev) => opJoin(s, parent.path, [this.path], ev));
    this.#live = false;
  }

  /** Consume one child, returning what it holds to this handle (the asserting view narrows the child). */
  absorb(child: RuntimeBudgetHandle): void {
    this.join([child]);
  }

  /** Consume every child and return their unspent budget to this handle. */
  join(children: readonly RuntimeBudgetHandle[]): Amounts {
    this.check('join');
    for (const c of children) c.check('join');
    const moved = this.backend.transact((s, ev) => opJoin(s, this.path, children.map((c) => c.path), ev));
    for (const c of children) c.#live = false;
    return moved;
  }
}

export class RuntimeReservation {
  #live = true;
  constructor(
    private readonly backend: LedgerBackend,
    readonly id: number,
    readonly handle: string,
    /** The max_tokens to send with the call. */
    readonly maxTokens: number,
    readonly amounts: Amounts,
  ) {}

  get live(): boolean {
    return this.#live;
  }

  private check(op: string): void {
    if (!this.#live) throw new BudgetConsumedError(`reservation #${this.id}`, `${op} of reservation ${this.id} on ${this.handle}`);
  }

  /** Charge actual usage (null: the server reported none, so the whole reservation is charged). */
  commit(usage: UsageReport | null): void {
    this.settle(usage);
  }

  /** Like `commit`; `out.result` says what was charged and any estimator fault. */
  settle(usage: UsageReport | null, out?: CommitOut): void {
    this.check('commit');
    const r = this.backend.transact((s, ev) => opCommit(s, this.id, usage, ev));
    this.#live = false;
    if (out) out.result = r;
  }

  /** The call failed before it used anything: give the whole reservation back. */
  release(): void {
    this.check('release');
    this.backend.transact((s, ev) => opRelease(s, this.id, ev));
    this.#live = false;
  }

  /** Scope exit with the reservation still open (an exception escaped): forfeit it. */
  [Symbol.dispose](): void {
    if (!this.#live) return;
    this.#live = false;
    this.backend.transact((s, ev) => opForfeit(s, this.id, ev));
  }
}

/** An in-process ledger. */
export class BudgetLedger {
  readonly backend: MemoryBackend;
  constructor(spec: RootSpec, clock: Clock = monotonicClock, opts: { keepLog?: boolean } = {}) {
    this.backend = new MemoryBackend(newLedgerState(spec, clock.nowMs()), clock, opts.keepLog ?? true);
  }
  /** The root handle. Call once; a second call for a consumed root still fails on use. */
  root(): RuntimeBudgetHandle {
    return new RuntimeBudgetHandle(this.backend, 'root');
  }
  /** A handle by path (for proxies that name handles in headers); still checked live on every use. */
  handle(path: string): RuntimeBudgetHandle {
    this.backend.transact((s) => liveHandle(s, path));
    return new RuntimeBudgetHandle(this.backend, path);
  }
  get state(): LedgerState {
    return this.backend.state;
  }
  get events(): readonly BudgetEvent[] {
    return this.backend.log;
  }
  conservation(): ReturnType<typeof conservation> {
    return conservation(this.backend.state);
  }
}

/**
 * The compile-time view of a handle: annotate a binding with it and every use after a consuming
 * call is TS2339 (`never`). Every RuntimeBudgetHandle is one (`const h: BudgetHandle = ledger.root()`).
 */
export interface BudgetHandle extends RuntimeBudgetHandle {
  split(shares: readonly number[], out: SplitOut, opts?: SplitOptions): asserts this is never;
  splitEven(n: number, out: SplitOut, holdTokens?: number): asserts this is never;
  joinInto(parent: RuntimeBudgetHandle): asserts this is never;
  absorb(child: RuntimeBudgetHandle): asserts child is never;
}

/** The compile-time view of a reservation: a second settlement of an annotated binding is TS2339. */
export interface Reservation extends RuntimeReservation {
  commit(usage: UsageReport | null): asserts this is never;
  settle(usage: UsageReport | null, out?: CommitOut): asserts this is never;
  release(): asserts this is never;
}
