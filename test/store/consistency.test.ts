/** A run's status and its stored summary never contradict each other (running, interrupted, stale). */
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { tempDb } from './helpers.js';

let t: ReturnType<typeof tempDb>;
afterEach(() => t?.cleanup());

describe('status in stored results', () => {
  it('an in-progress result says running, whatever the summary computed', () => {
    t = tempDb();
    const s = openStore(t.file);
    s.createRun({ id: 'r', kind: 'sweep', config: {} });
    s.setRunResult('r', { status: 'completed', levels: [1] });
    expect(s.getRun('r')!.result).toEqual({ status: 'running', levels: [1] });
    s.setRunResult('r', { levels: [1, 2] }); // no status of its own: left as is
    expect(s.getRun('r')!.result).toEqual({ levels: [1, 2] });
    s.close();
  });

  it('interrupted and failed runs: the partial result carries the run status and ended_at is set', () => {
    t = tempDb();
    const s = openStore(t.file);
    for (const id of ['i', 'f']) {
      s.createRun({ id, kind: 'sweep', config: {} });
      s.setRunResult(id, { status: 'completed', levels: [1] });
    }
    expect(s.markInterrupted('i')).toBe(true);
    expect(s.markFailed('f')).toBe(true);
    expect(s.getRun('i')).toMatchObject({ status: 'interrupted', result: { status: 'interrupted', levels: [1] } });
    expect(s.getRun('f')).toMatchObject({ status: 'failed', result: { status: 'failed' } });
    expect(s.getRun('i')!.endedAt).not.toBeNull();
    s.close();
  });

  it('finishRun gives a result with a status the run status', () => {
    t = tempDb();
    const s = openStore(t.file);
    s.createRun({ id: 'r', kind: 'replay', config: {} });
    s.finishRun('r', 'interrupted', { status: 'completed', x: 1 });
    expect(s.getRun('r')!.result).toEqual({ status: 'interrupted', x: 1 });
    s.createRun({ id: 'q', kind: 'replay', config: {} });
    s.finishRun('q', 'completed', { level: {} });
    expect(s.getRun('q')!.result).toEqual({ level: {} });
    s.close();
  });

  it('a stale running run (its process gone) gets ended_at, an interrupted summary and the reason', () => {
    t = tempDb();
    const s = openStore(t.file);
    s.createRun({ id: 'stale', kind: 'sweep', config: {} });
    s.setRunResult('stale', { status: 'completed', levels: [1] });
    s.createRun({ id: 'stale-null', kind: 'replay', config: {} });
    // Pretend a process that cannot exist wrote them.
    s.db.prepare(`UPDATE runs SET host_json = json_set(host_json, '$.pid', 2147483646) WHERE id IN ('stale', 'stale-null')`).run();
    s.close();
    const s2 = openStore(t.file);
    for (const id of ['stale', 'stale-null']) {
      const r = s2.getRun(id)!;
      expect(r.status).toBe('interrupted');
      expect(r.endedAt).not.toBeNull();
      expect(r.result).toMatchObject({ status: 'interrupted', interruption: { endedAtIsDetection: true } });
    }
    expect((s2.getRun('stale')!.result as { levels: number[] }).levels).toEqual([1]);
    expect(s2.db.pragma('integrity_check', { simple: true })).toBe('ok');
    s2.close();
  });
});
