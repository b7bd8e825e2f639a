/**
 * The AutoLab / Harbor task format (DESIGN 3.2; research notes 1.1): a task.toml without an
 * [agentdyno] table is a Harbor task. This file maps its domain names, supplies the [agentdyno]
 * values it implies (every environment file editable, tests/test.sh the verifier), reads what its
 * Dockerfile sets up (dockerfile.ts) and parses the reward.json its verifier writes. Running it is
 * loop/harbor.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDockerfile, requiredTools, type DockerfileInfo } from './dockerfile.js';
import type { Domain, Reader } from './task.js';

type Tbl = Record<string, unknown>;

/**
 * AutoLab's domain names → ours. The 36 task.toml files of autolabhq/autolab (v1.1, read 2026-12)
 * use `system_optimization`, `puzzle_and_challenge`, `model_development` and `cuda`; the README's
 * short names (system-opt, model-dev, puzzle) and our own names are accepted as well.
 */
export const HARBOR_DOMAINS: Readonly<Record<string, Domain>> = {
  system_optimization: 'system',
  puzzle_and_challenge: 'puzzle',
  model_development: 'model',
  'system-opt': 'system',
  system: 'system',
  'model-dev': 'model',
  model: 'model',
  puzzle: 'puzzle',
  cuda: 'kernel',
  kernel: 'kernel',
};

/** How a Harbor task's verifier is run (shown as the task's check/measure command). */
export const HARBOR_VERIFIER = 'bash /tests/test.sh';

export interface HarborInfo {
  /** `[metadata].domain` as written (e.g. "system-opt"); `Task.domain` holds the mapped one. */
  declaredDomain: string;
  testsDir: string;
  verifier: string;
  /** Absolute paths the verifier names literally (/app, /tests, /logs): only a bwrap run provides them. */
  pathsNamed: string[];
  /** Said in every verifier step's output, so the agent knows what protects what. */
  note: string;
  /** environment/Dockerfile, parsed: the /orig files it writes and the tools it installs (dockerfile.ts). */
  dockerfile: DockerfileInfo | null;
  /** Tools the Dockerfile installs that the verifier or build files use (added to `requires`). */
  requiredTools: string[];
}

const NOTE = 'Harbor task: every file under environment/ is editable; the verifier tests/test.sh guards its build files itself (integrity gate) and writes /logs/verifier/reward.json';

/** Maps `[metadata].domain` in place (so the loader reads our name); returns the declared name. */
export function mapHarborDomain(r: Reader, doc: Tbl): string {
  const meta = doc.metadata;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return '';
  const m = meta as Tbl;
  const declared = m.domain;
  if (typeof declared !== 'string') return ''; // reported by the loader as missing / not a string
  const mapped = HARBOR_DOMAINS[declared.toLowerCase()];
  if (!mapped) {
    r.problem('[metadata].domain', `"${declared}" is not a domain we know (Harbor task: ${Object.entries(HARBOR_DOMAINS).map(([a, b]) => `${a} → ${b}`).join(', ')})`);
    m.domain = 'system';
  } else m.domain = mapped;
  return declared;
}

/** The [agentdyno] values a Harbor task implies; read by the loader like a written table. */
export function harborAgentdynoTable(doc: Tbl): Tbl {
  const gpus = (doc.environment as Tbl | undefined)?.gpus;
  const agentTimeout = (doc.agent as Tbl | undefined)?.timeout_sec;
  return {
    editable: ['**'],
    check: HARBOR_VERIFIER,
    measure: HARBOR_VERIFIER,
    // The verifier warms up and repeats inside itself; we repeat it whole for a CI.
    warmup: 0,
    repeats: 3,
    requires: typeof gpus === 'number' && gpus > 0 ? ['bash', 'gpu'] : ['bash'],
    // AutoLab's [agent] timeout_sec is the agent's wall-clock budget.
    ...(typeof agentTimeout === 'number' && agentTimeout >= 1 ? { wall_budget_sec: agentTimeout } : {}),
  };
}

export function harborInfo(r: Reader, taskDir: string, declaredDomain: string): HarborInfo {
  const testsDir = path.join(taskDir, 'tests');
  const verifier = path.join(testsDir, 'test.sh');
  let pathsNamed: string[] = [];
  if (!fs.existsSync(verifier)) r.problem('tests/test.sh', 'missing (a task.toml without [agentdyno] is a Harbor task: tests/test.sh is its verifier)');
  else pathsNamed = namedPaths(fs.readFileSync(verifier, 'utf8'));
  const df = path.join(taskDir, 'environment', 'Dockerfile');
  const dockerfile = fs.existsSync(df) ? parseDockerfile(fs.readFileSync(df, 'utf8')) : null;
  return { declaredDomain, testsDir, verifier, pathsNamed, note: NOTE, dockerfile, requiredTools: dockerfile ? requiredTools(dockerfile, taskDir) : [] };
}

/** instruction.md's first heading, as the task's one-line description. */
export function harborDescription(instruction: string): string | undefined {
  return /^#\s+(.+)$/m.exec(instruction)?.[1]?.trim();
}

/** Which of /app, /tests, /logs a script names (`${LOGS_DIR:-/logs}` does not count: LOGS_DIR is set). */
export function namedPaths(script: string): string[] {
  const s = script.replaceAll('${LOGS_DIR:-/logs}', '');
  return ['/app', '/tests', '/logs', '/solution', '/orig'].filter((p) => new RegExp(`${p}(?![\\w.-])`).test(s));
}

/** reward.json as a Harbor verifier writes it. */
export interface RewardJson {
  reward: number | null;
  correctness: boolean | null;
  metric: number | null;
  speedup: number | null;
  reason: string | null;
}

export function parseRewardJson(text: string): RewardJson | null {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const t = o as Tbl;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return { reward: num(t.reward), correctness: typeof t.correctness === 'boolean' ? t.correctness : null, metric: num(t.metric), speedup: num(t.speedup), reason: typeof t.reason === 'string' ? t.reason : null };
}

