import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTrajectoryFiles, loadTrajectories } from '../../src/trajectory/index.js';

const G = 'test/fixtures/trajectory/good';

describe('loadTrajectories', () => {
  it('reads JSON Lines with blank lines, keeping each line number', () => {
    const l = loadTrajectories([`${G}/tiny.jsonl`]);
    expect(l.map((x) => [x.trajectory.id, x.file, x.line])).toEqual([
      ['tiny-a', `${G}/tiny.jsonl`, 1],
      ['tiny-b', `${G}/tiny.jsonl`, 3],
    ]);
  });

  it('reads a single JSON object (line 1) and a JSON array (line each element starts on)', () => {
    expect(loadTrajectories([`${G}/one.json`]).map((x) => [x.trajectory.id, x.line])).toEqual([['one-json', 1]]);
    expect(loadTrajectories([`${G}/array.json`]).map((x) => [x.trajectory.id, x.line])).toEqual([['arr-1', 2], ['arr-2', 9]]);
  });

  it('expands a directory to its *.json / *.jsonl files in sorted order', () => {
    const ids = loadTrajectories([G]).map((x) => x.trajectory.id);
    expect(ids).toEqual(['arr-1', 'arr-2', 'one-json', 'tiny-a', 'tiny-b']);
  });

  it('reports errors inside a JSON array at the element line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traj-'));
    const f = join(dir, 'arr.json');
    writeFileSync(f, '[\n  {"format": "agentdyno.trajectory.v1", "id": "a", "source": {"kind": "x"},\n   "agents": [{"id": "m", "parent": null, "system_prompt_tokens": 0, "steps": [{"type": "llm", "input_tokens": 1, "output_tokens": 1}]}]},\n\n  {"id": "b \\" ["}\n]\n');
    const r = checkTrajectoryFiles([f]);
    expect(r.trajectories.map((t) => t.line)).toEqual([2]);
    expect(r.problems.map((p) => `${p.line} ${p.path}`)).toEqual(['5 $.format', '5 $.source', '5 $.agents']);
  });

  it('rejects duplicate trajectory ids across files, and names missing paths and empty directories', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traj-'));
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'a.jsonl'), '{"format":"agentdyno.trajectory.v1","id":"same","source":{"kind":"x"},"agents":[{"id":"m","parent":null,"system_prompt_tokens":0,"steps":[{"type":"llm","input_tokens":1,"output_tokens":1}]}]}\n');
    writeFileSync(join(dir, 'b.json'), '{"format":"agentdyno.trajectory.v1","id":"same","source":{"kind":"x"},"agents":[{"id":"m","parent":null,"system_prompt_tokens":0,"steps":[{"type":"llm","input_tokens":1,"output_tokens":1}]}]}');
    expect(() => loadTrajectories([dir])).toThrow(`${join(dir, 'b.json')}:1: $.id: duplicate trajectory id "same" (first at ${join(dir, 'a.jsonl')}:1)`);
    expect(() => loadTrajectories([join(dir, 'nope.jsonl')])).toThrow(`${join(dir, 'nope.jsonl')}: no such file or directory`);
    expect(() => loadTrajectories([join(dir, 'empty')])).toThrow('directory holds no *.jsonl or *.json files');
  });

  it('accepts a byte-order mark and CRLF line ends', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traj-'));
    const t = '{"format":"agentdyno.trajectory.v1","id":"ID","source":{"kind":"x"},"agents":[{"id":"m","parent":null,"system_prompt_tokens":0,"steps":[{"type":"llm","input_tokens":1,"output_tokens":1}]}]}';
    writeFileSync(join(dir, 'w.jsonl'), '\uFEFF' + t.replace('ID', 'w1') + '\r\n\r\n' + t.replace('ID', 'w2') + '\r\n');
    expect(loadTrajectories([dir]).map((x) => [x.trajectory.id, x.line])).toEqual([['w1', 1], ['w2', 3]]);
  });

  it('loads the bundled set of 32 trajectories', () => {
    expect(loadTrajectories(['trajectories'])).toHaveLength(32);
  });
});
