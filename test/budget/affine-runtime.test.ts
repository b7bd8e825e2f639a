/**
 * The misuses the compiler cannot see (docs/budget-types.md): each is caught at run time with
 * BudgetConsumedError (E_BUDGET_MISUSE), and leaves the ledger's books balanced.
 */
import { describe, expect, it } from 'vitest';
import { BudgetConsumedError, BudgetLedger, CommitOut, SplitOut, type RuntimeBudgetHandle } from '../../src/budget/index.js';

const misuse = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BudgetConsumedError);
    expect((e as BudgetConsumedError).code).toBe('E_BUDGET_MISUSE');
    return;
  }
  throw new Error('expected BudgetConsumedError');
};

describe('affine misuses caught at run time', () => {
  it('use through an alias of a consumed handle', () => {
    const l = new BudgetLedger({ tokens: 1000 });
    const root = l.root();
    const alias = root;
    root.split([100], new SplitOut());
    misuse(() => alias.reserve({ inputTokens: 1, maxTokens: 1 }));
    expect(l.conservation().ok).toBe(true);
  });

  it('use of a child after join([child]) (array elements are not narrowed)', () => {
    const l = new BudgetLedger({ tokens: 1000 });
    const out = new SplitOut();
    l.root().split([100, 100], out);
    out.remainder.join(out.children);
    misuse(() => out.children[0].reserve({ inputTokens: 1, maxTokens: 1 }));
    misuse(() => out.children[1].joinInto(out.remainder));
    expect(out.remainder.available().tokens).toBe(1000);
  });

  it('use after a helper that consumes its argument without declaring it', () => {
    const consume = (h: RuntimeBudgetHandle) => h.split([10], new SplitOut());
    const l = new BudgetLedger({ tokens: 1000 });
    const root = l.root();
    consume(root);
    misuse(() => root.available());
  });

  it('settle then commit, and commit twice, on an unannotated reservation', () => {
    const l = new BudgetLedger({ tokens: 1000 });
    const root = l.root();
    const r = root.reserve({ inputTokens: 5, maxTokens: 5 });
    const o = new CommitOut();
    r.settle({ promptTokens: 5, completionTokens: 1 }, o);
    misuse(() => r.commit({ promptTokens: 5, completionTokens: 1 }));
    misuse(() => r.release());
    expect(o.result.charged.tokens).toBe(6);
    expect(root.available().tokens).toBe(994);
  });

  it('through `any` (what JavaScript callers do)', () => {
    const l = new BudgetLedger({ tokens: 1000 });
    const h: any = l.root();
    h.splitEven(2, new SplitOut());
    misuse(() => h.splitEven(2, new SplitOut()));
    expect(l.conservation().ok).toBe(true);
  });
});
