/**
 * The bad-input corpus: trajectories, flags, power specs, task folders and every importer. Each case
 * runs the built CLI and must end within its deadline with a located error carrying a stable code
 * (from --json or the `Error [CODE]` prefix), no stack trace and no crash. Cases run in a pool of 3
 * in beforeAll (one built dist for all); each case is then its own test.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPORT_FORMATS } from '../../src/trajectory/index.js';
import { cli, Group, judge, pool, requireBuild, ROOT, type CliResult, type Expectation } from './helpers.js';

const DIR = mkdtempSync(path.join(tmpdir(), 'agentdyno-hostile-'));
const f = (name: string) => path.join(DIR, name);
const DB = f('results.db');
const DEADLINE_MS = 45_000; // per case; a loaded 2-core box runs a CLI start in 1-10 s

interface Case extends Expectation {
  group: 'trajectories' | 'flags' | 'power' | 'tasks' | 'importers';
  name: string;
  args: string[];
  /** Files the case writes before it runs (name -> content). */
  files?: Record<string, string | Buffer>;
  setup?: () => void;
}

// ---- trajectory builders -------------------------------------------------------------------------
const llm = (extra: Record<string, unknown> = {}) => ({ type: 'llm', input_tokens: 100, output_tokens: 10, ...extra });
const traj = (agents: unknown[], extra: Record<string, unknown> = {}) => ({ format: 'agentdyno.trajectory.v1', id: 't1', source: { kind: 'synthetic' }, agents, ...extra });
const main = (steps: unknown[], extra: Record<string, unknown> = {}) => ({ id: 'main', parent: null, system_prompt_tokens: 10, steps, ...extra });
const line = (o: unknown) => `${JSON.stringify(o)}\n`;

function deepContent(depth: number): string {
  return `{"format":"agentdyno.trajectory.v1","id":"deep","source":{"kind":"synthetic"},"agents":[{"id":"main","parent":null,"system_prompt_tokens":1,"steps":[{"type":"llm","input_tokens":5,"output_tokens":1,"content":${'['.repeat(depth)}${']'.repeat(depth)}}]}]}\n`;
}

function spawnChain(depth: number): string {
  const agents = [];
  for (let i = 0; i <= depth; i++) {
    const steps: unknown[] = [llm()];
    if (i < depth) steps.push({ type: 'spawn', agents: [`a${i + 1}`], join: 'all' });
    agents.push({ id: `a${i}`, parent: i === 0 ? null : `a${i - 1}`, system_prompt_tokens: 1, steps });
  }
  return line(traj(agents, { id: 'chain' }));
}

const T = 'E_TRAJECTORY_INVALID';
const L = 'E_TRAJECTORY_LIMIT';
const validate = (file: string) => ['trajectories', 'validate', f(file), '--json'];
const tcase = (name: string, file: string, content: string | Buffer, codes: string[], where: string | RegExp = file): Case => ({ group: 'trajectories', name, args: validate(file), files: { [file]: content }, codes, where });

const trajectoryCases: Case[] = [
  tcase('not JSON', 'notjson.jsonl', '{ this is not json\n', [T], /notjson\.jsonl/),
  tcase('empty file', 'empty.jsonl', '', [T]),
  tcase('binary garbage', 'binary.jsonl', Buffer.from([0, 1, 2, 255, 254, 10, 200, 13, 10]), [T]),
  tcase('JSON null', 'null.jsonl', 'null\n', [T]),
  tcase('wrong format tag', 'format.jsonl', line(traj([main([llm()])], { format: 'other.v9' })), [T], '$.format'),
  tcase('no agents', 'noagents.jsonl', line({ format: 'agentdyno.trajectory.v1', id: 'x', source: { kind: 's' } }), [T], '$.agents'),
  tcase('negative input_tokens', 'neg.jsonl', line(traj([main([llm({ input_tokens: -5 })])])), [T], 'input_tokens'),
  tcase('string token count', 'str.jsonl', line(traj([main([llm({ output_tokens: '10' })])])), [T], 'output_tokens'),
  tcase('fractional token count', 'frac.jsonl', line(traj([main([llm({ input_tokens: 10.5 })])])), [T], 'input_tokens'),
  tcase('input_tokens 1e12', 'huge-in.jsonl', line(traj([main([llm({ input_tokens: 1e12 })])])), [L], 'input_tokens'),
  tcase('output_tokens 1e9', 'huge-out.jsonl', line(traj([main([llm({ output_tokens: 1e9 })])])), [L], 'output_tokens'),
  // Both over the cap (a system prompt larger than the first prompt would also be E_TRAJECTORY_INVALID).
  tcase('system_prompt_tokens 2e7', 'huge-sys.jsonl', line(traj([main([llm({ input_tokens: 3e7 })], { system_prompt_tokens: 2e7 })])), [L], 'system_prompt_tokens'),
  tcase('tool duration 1e15 ms', 'huge-dur.jsonl', line(traj([main([llm(), { type: 'tool', name: 'b', duration_ms: 1e15 }])])), [L], 'duration_ms'),
  tcase('content nested 100,000 deep', 'deep.jsonl', deepContent(100_000), [L], 'content'),
  tcase('spawn chain 20,000 deep', 'chain.jsonl', spawnChain(20_000), [L], 'parent'),
  tcase('parent cycle', 'cycle.jsonl', line(traj([main([llm()]), { id: 'a', parent: 'b', system_prompt_tokens: 1, steps: [llm()] }, { id: 'b', parent: 'a', system_prompt_tokens: 1, steps: [llm()] }])), [T], 'cycle'),
  tcase('two roots', 'roots.jsonl', line(traj([main([llm()]), { id: 'x', parent: null, system_prompt_tokens: 1, steps: [llm()] }])), [T], 'root'),
  tcase('spawn of an unknown agent', 'spawnunk.jsonl', line(traj([main([llm(), { type: 'spawn', agents: ['ghost'], join: 'all' }])])), [T], 'ghost'),
  tcase('no llm step', 'nollm.jsonl', line(traj([main([{ type: 'think', duration_ms: 5 }])])), [T], 'llm'),
  tcase('duplicate trajectory ids', 'dup.jsonl', line(traj([main([llm()])])) + line(traj([main([llm()])])), [T], 'duplicate'),
  tcase('cached_tokens > input_tokens', 'cached.jsonl', line(traj([main([llm({ cached_tokens: 500 })])])), [T], 'cached_tokens'),
  tcase('unknown step type', 'steptype.jsonl', line(traj([main([llm(), { type: 'teleport' }])])), [T], 'type'),
  tcase('bad element in a JSON array', 'arr.json', `[\n${JSON.stringify(traj([main([llm()])]))},\n{"id": 3}\n]\n`, [T], /arr\.json"?,\s*"line":\s*3|arr\.json:3/),
  tcase('byte-order mark then garbage', 'bom.jsonl', '\ufeff{garbage\n', [T]),
  { group: 'trajectories', name: 'missing file', args: ['trajectories', 'validate', f('nope.jsonl'), '--json'], codes: ['E_FILE_NOT_FOUND'], where: 'nope.jsonl' },
  { group: 'trajectories', name: 'directory with no trajectory files', args: ['trajectories', 'validate', f('emptydir'), '--json'], setup: () => mkdirSync(f('emptydir'), { recursive: true }), codes: [T], where: 'emptydir' },
  // The replay load path refuses the same files before it starts anything.
  { group: 'trajectories', name: 'replay refuses 1e12 tokens before starting', args: ['replay', '-c', '1', '--trajectories', f('huge-in.jsonl'), '--db', DB, '--json'], codes: [L], where: 'input_tokens' },
  { group: 'trajectories', name: 'replay refuses deep content', args: ['replay', '-c', '1', '--trajectories', f('deep.jsonl'), '--db', DB], codes: [L], where: 'deep.jsonl' },
  { group: 'trajectories', name: 'replay refuses a trajectory with no llm step', args: ['replay', '-c', '1', '--trajectories', f('nollm.jsonl'), '--db', DB, '--json'], codes: [T], where: 'nollm.jsonl' },
  { group: 'trajectories', name: 'sweep refuses a 20,000-deep spawn chain', args: ['sweep', '--trajectories', f('chain.jsonl'), '--db', DB, '--json'], codes: [L], where: 'chain.jsonl' },
];

// ---- flags ---------------------------------------------------------------------------------------
const U = 'E_USAGE';
const R = 'E_USAGE_RANGE';
const rp = (...a: string[]) => ['replay', ...a, '--db', DB];
const sw = (...a: string[]) => ['sweep', ...a, '--db', DB];
const fcase = (name: string, args: string[], codes: string[], where: string): Case => ({ group: 'flags', name, args, codes, where });
const flagCases: Case[] = [
  fcase('-c abc', rp('-c', 'abc'), [U], '--concurrency'),
  fcase('-c 0', rp('-c', '0'), [R], '--concurrency'),
  fcase('-c -5', rp('-c', '-5'), [R, U], '--concurrency'),
  fcase('-c 99999999999', rp('-c', '99999999999'), [R], '--concurrency'),
  fcase('replay without -c', rp(), [U], '--concurrency'),
  fcase('unknown flag', rp('-c', '1', '--bogus'), [U], '--bogus'),
  fcase('--window abc', rp('-c', '1', '--window', 'abc'), [U], '--window'),
  fcase('--window -3', rp('-c', '1', '--window', '-3'), [R], '--window'),
  fcase('--history nope', rp('-c', '1', '--history', 'nope'), [U], '--history'),
  fcase('--slo garbage', rp('-c', '1', '--slo', 'fast,faster'), [U], '--slo'),
  fcase('--call-pass-fraction 2', rp('-c', '1', '--call-pass-fraction', '2'), [R], '--call-pass-fraction'),
  fcase('--retries 99', rp('-c', '1', '--retries', '99'), [U, R], '--retries'),
  fcase('--setup-timeout 0', rp('-c', '1', '--setup-timeout', '0'), [R], '--setup-timeout'),
  fcase('--request-timeout -1', rp('-c', '1', '--request-timeout', '-1'), [R], '--request-timeout'),
  fcase('--shard 5/2', rp('-c', '4', '--shard', '5/2'), [U, R], '--shard'),
  fcase('--start-at garbage', rp('-c', '1', '--start-at', 'tomorrow-ish'), [U], '--start-at'),
  fcase('--trajectories missing', rp('-c', '1', '--trajectories', f('missing.jsonl')), ['E_FILE_NOT_FOUND'], 'missing.jsonl'),
  fcase('--growth 1', sw('--growth', '1'), [R], '--growth'),
  fcase('--growth 0.5', sw('--growth', '0.5'), [R], '--growth'),
  fcase('--growth abc', sw('--growth', 'abc'), [R, U], '--growth'),
  fcase('--max-concurrency 0', sw('--max-concurrency', '0'), [R], '--max-concurrency'),
  fcase('--max-levels 0', sw('--max-levels', '0'), [R], '--max-levels'),
  fcase('--replicates -1', sw('--replicates', '-1'), [R], '--replicates'),
  fcase('--idle-window -2', sw('--idle-window', '-2'), [R], '--idle-window'),
  fcase('--start above --max-concurrency', sw('--start', '10', '--max-concurrency', '5'), [R], '--max-concurrency'),
  fcase('--start 0', sw('--start', '0'), [R], '--start'),
  fcase('synth --count 0', ['trajectories', 'synth', '--count', '0'], [U, R], '--count'),
  { group: 'flags', name: 'synth --out over an existing file', args: ['trajectories', 'synth', '--count', '1', '--out', f('exists.jsonl')], files: { 'exists.jsonl': 'keep me\n' }, codes: ['E_OUTPUT_EXISTS'], where: 'exists.jsonl' },
  fcase('results show of an unknown run', ['results', 'show', 'no-such-run', '--db', DB], ['E_RUN_NOT_FOUND', 'E_STORE'], /no-such-run|results\.db/),
  fcase('results export --out onto the database', ['results', 'export', 'x', '--out', DB, '--db', DB], ['E_OUTPUT_EXISTS'], 'results.db'),
];

// ---- power specs (power record: the spec is opened before anything is measured) --------------------
const PS = 'E_POWER_SPEC';
const PW = 'E_POWER_SOURCE';
const pcase = (name: string, spec: string, codes: string[], where: string | RegExp = /--power|--source|power/): Case => ({ group: 'power', name, args: ['power', 'record', '--source', spec, '--duration', '1s', '--db', DB], codes, where });
const powerCases: Case[] = [
  pcase('unknown source', 'bogus', [PS], 'bogus'),
  pcase('command without cmd', 'command:kind=power-instant;unit=W', [PS]),
  pcase('command with an unknown kind', 'command:cmd=true;kind=nope;unit=W', [PS], 'kind'),
  pcase('command with an unknown unit', 'command:cmd=true;kind=power-instant;unit=furlongs', [PS], 'furlongs'),
  pcase('dcgm-exporter with a bad URL', 'dcgm-exporter:url=not a url', [PS, PW]),
  pcase('redfish at a closed port', 'redfish:url=http://127.0.0.1:1/redfish/v1/Chassis/1/EnvironmentMetrics', [PW, PS]),
  pcase('rapl at a missing path', 'rapl:path=/nonexistent/powercap', [PW, PS]),
  pcase('replay of a missing file', 'replay:/nonexistent/trace.csv', [PW, PS, 'E_FILE_NOT_FOUND']),
  pcase('command that is not found (exits at once)', 'command:cmd', [PW], 'not found'),
  pcase('command that exits 3 before any reading', 'command:cmd=exit 3;kind=power-instant;unit=W', [PW], 'status 3'),
  { group: 'power', name: '--duration garbage', args: ['power', 'record', '--source', 'nameplate:watts=100', '--duration', 'forever', '--db', DB], codes: [U, R], where: '--duration' },
];

// ---- task folders --------------------------------------------------------------------------------
const TI = 'E_TASK_INVALID';
const taskDir = (name: string) => f(path.join('tasks', name));
function copyTask(name: string, mutate: (dir: string) => void): () => void {
  return () => {
    const d = taskDir(name);
    cpSync(path.join(ROOT, 'tasks', 'puzzle', 'collatz-c'), d, { recursive: true });
    mutate(d);
  };
}
const tv = (name: string) => ['tasks', 'validate', taskDir(name), '--json', '--unsafe-no-sandbox'];
const taskCases: Case[] = [
  { group: 'tasks', name: 'no such task', args: ['tasks', 'validate', taskDir('missing'), '--json'], codes: [TI], where: 'missing' },
  { group: 'tasks', name: 'folder without task.toml', args: tv('empty'), setup: () => mkdirSync(taskDir('empty'), { recursive: true }), codes: [TI], where: 'empty' },
  { group: 'tasks', name: 'task.toml not TOML', args: tv('badtoml'), setup: copyTask('badtoml', (d) => writeFileSync(path.join(d, 'task.toml'), '[metadata\nname = ')), codes: [TI], where: 'task.toml' },
  { group: 'tasks', name: 'task.toml without its tables', args: tv('notables'), setup: copyTask('notables', (d) => writeFileSync(path.join(d, 'task.toml'), 'x = 1\n')), codes: [TI], where: 'task.toml' },
  { group: 'tasks', name: 'tests/test.sh missing', args: tv('nosh'), setup: copyTask('nosh', (d) => rmSync(path.join(d, 'tests', 'test.sh'))), codes: [TI], where: 'test.sh' },
  { group: 'tasks', name: 'tests/test.sh not executable', args: tv('noexec'), setup: copyTask('noexec', (d) => chmodSync(path.join(d, 'tests', 'test.sh'), 0o644)), codes: [TI], where: 'not executable' },
];

// ---- importers: garbage and wrong-shape input for every format ------------------------------------
const IMP = ['E_IMPORT_FORMAT', 'E_INPUT_INVALID'];
const importerCases: Case[] = [
  ...IMPORT_FORMATS.flatMap((fmt): Case[] => [
    { group: 'importers', name: `${fmt}: not JSON`, args: ['import', fmt, f('garbage.log'), '--out', f(`out-g-${fmt}.jsonl`), '--json'], files: { 'garbage.log': '\u0000\u0001 not json at all {{{\n' }, codes: IMP, where: 'garbage.log' },
    { group: 'importers', name: `${fmt}: JSON of another shape`, args: ['import', fmt, f('shape.json'), '--out', f(`out-s-${fmt}.jsonl`), '--json'], files: { 'shape.json': '{"hello": [1, 2, 3], "nested": {"deep": true}}\n' }, codes: IMP, where: 'shape.json' },
  ]),
  { group: 'importers', name: 'missing input file', args: ['import', 'claude-code', f('nope.jsonl'), '--out', f('out-missing.jsonl')], codes: [...IMP, 'E_FILE_NOT_FOUND'], where: 'nope.jsonl' },
  { group: 'importers', name: 'unknown format', args: ['import', 'nosuchformat', f('garbage.log'), '--out', f('out-u.jsonl')], codes: [U, 'E_IMPORT_FORMAT'], where: 'nosuchformat' },
  { group: 'importers', name: '--out is the input file', args: ['import', 'mooncake', f('src.jsonl'), '--out', f('src.jsonl')], files: { 'src.jsonl': '{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [1]}\n' }, codes: ['E_OUTPUT_EXISTS'], where: 'src.jsonl' },
  { group: 'importers', name: '--out is the input file by another path', args: ['import', 'mooncake', f('src2.jsonl'), '--out', `${DIR}/./sub/../src2.jsonl`, '--force'], files: { 'src2.jsonl': '{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [1]}\n' }, setup: () => mkdirSync(f('sub'), { recursive: true }), codes: ['E_OUTPUT_EXISTS'], where: 'src2.jsonl' },
  { group: 'importers', name: '--out over an existing file without --force', args: ['import', 'mooncake', f('src3.jsonl'), '--out', f('taken.jsonl')], files: { 'src3.jsonl': '{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [1]}\n', 'taken.jsonl': 'precious\n' }, codes: ['E_OUTPUT_EXISTS'], where: 'taken.jsonl' },
];

const CASES: Case[] = [...trajectoryCases, ...flagCases, ...powerCases, ...taskCases, ...importerCases];
const GROUPS = ['trajectories', 'flags', 'power', 'tasks', 'importers'] as const;
const groups = new Map(GROUPS.map((g) => [g, new Group(g)]));
const results = new Map<string, CliResult>();

beforeAll(async () => {
  requireBuild();
  for (const c of CASES) {
    for (const [name, content] of Object.entries(c.files ?? {})) writeFileSync(f(name), content);
    c.setup?.();
  }
  const out = await pool(CASES.map((c) => () => cli(c.args, { deadlineMs: DEADLINE_MS, cwd: DIR })), 3);
  CASES.forEach((c, i) => results.set(`${c.group}/${c.name}`, out[i]));
}, 600_000);

afterAll(() => {
  for (const g of groups.values()) g.summary();
  rmSync(DIR, { recursive: true, force: true });
});

describe('hostile corpus: every bad input is a located error with a code', () => {
  it('has at least 60 cases across trajectories, flags, power specs, task folders and every importer', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    for (const g of GROUPS) expect(CASES.some((c) => c.group === g)).toBe(true);
  });

  for (const c of CASES) {
    it(`${c.group}: ${c.name}`, () => {
      const r = results.get(`${c.group}/${c.name}`)!;
      const v = groups.get(c.group)!.record(c.name, judge(r, c));
      expect(v.why, `${c.args.join(' ')}\nstdout: ${r.stdout.slice(0, 600)}\nstderr: ${r.stderr.slice(0, 600)}`).toEqual([]);
    });
  }

  it('inputs named as --out are untouched', async () => {
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(f('taken.jsonl'), 'utf8')).toBe('precious\n');
    expect(readFileSync(f('exists.jsonl'), 'utf8')).toBe('keep me\n');
    expect(readFileSync(f('src.jsonl'), 'utf8')).toContain('input_length');
  });
});
