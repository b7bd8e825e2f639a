/**
 * Simulator profiles: YAML files under src/sim/profiles/, validated with errors that name the
 * file and key. Every profile is illustrative and says where its numbers come from.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { AgentdynoError } from '../core/index.js';

export interface SimProfile {
  name: string;
  illustrative: true;
  source: string;
  servedModelName: string;
  maxModelLen: number;
  /** Step time = a + b*batch + c*kvTokens + d*prefillTokens, in ms. */
  stepTimeMs: { a: number; b: number; c: number; d: number };
  scheduler: { maxNumSeqs: number; maxNumBatchedTokens: number };
  kvCache: { blockSize: number; numBlocks: number; enablePrefixCaching: boolean };
  /** power = idleW + (maxW - idleW) * utilization; busyFloor = utilization of a step that is all fixed cost. */
  power: { idleW: number; maxW: number; busyFloor: number };
  generation: { eosMeanTokens: number };
  /** Where the profile was loaded from (file path), for messages. */
  file?: string;
}

/** The bundled profiles folder; works from src/sim/ (tests) and from dist/sim/ (built CLI). */
export function profilesDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [resolve(here, 'profiles'), resolve(here, '../../src/sim/profiles')];
  for (const c of candidates) if (existsSync(resolve(c, 'small.yaml'))) return c;
  return candidates[1];
}

export function listProfiles(): { name: string; file: string; source: string; illustrative: boolean }[] {
  const dir = profilesDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => {
      const p = loadProfile(resolve(dir, f));
      return { name: p.name, file: resolve(dir, f), source: p.source, illustrative: p.illustrative };
    });
}

const cache = new Map<string, SimProfile>();

/** Load a bundled profile by name (`small`) or a YAML file by path. */
export function loadProfile(nameOrPath: string = 'small'): SimProfile {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes('\\') || /\.ya?ml$/.test(nameOrPath);
  const file = looksLikePath
    ? isAbsolute(nameOrPath) ? nameOrPath : resolve(process.cwd(), nameOrPath)
    : resolve(profilesDir(), `${nameOrPath}.yaml`);
  const hit = cache.get(file);
  if (hit) return hit;
  if (!existsSync(file)) {
    const names = existsSync(profilesDir()) ? readdirSync(profilesDir()).filter((f) => /\.ya?ml$/.test(f)).map((f) => basename(f, extname(f))) : [];
    throw new AgentdynoError(`simulator profile "${nameOrPath}" not found`, { code: 'E_PROFILE_INVALID', where: file,
      hint: `Use one of: ${names.join(', ') || '(none found)'}, or a path to a YAML profile (see \`agentdyno sim profiles\`).`,
    });
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new AgentdynoError(`simulator profile is not valid YAML: ${(e as Error).message}`, { code: 'E_PROFILE_INVALID', where: file, hint: 'Fix the YAML syntax.', cause: e });
  }
  const p = validateProfile(raw, file);
  cache.set(file, p);
  return p;
}

/** Validate a parsed profile object; errors name the file and key. */
export function validateProfile(raw: unknown, file = '(inline profile)'): SimProfile {
  const fail = (key: string, what: string): never => {
    throw new AgentdynoError(`simulator profile key "${key}" ${what}`, { code: 'E_PROFILE_INVALID', where: file, hint: 'See src/sim/profiles/small.yaml for a complete example.' });
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('(root)', 'must be a mapping');
  const r = raw as Record<string, unknown>;
  const obj = (key: string): Record<string, unknown> => {
    const v = r[key];
    if (!v || typeof v !== 'object' || Array.isArray(v)) return fail(key, 'must be a mapping');
    return v as Record<string, unknown>;
  };
  const num = (o: Record<string, unknown>, parent: string, key: string, opts: { min?: number; int?: boolean; positive?: boolean; def?: number } = {}): number => {
    const v = o[key] ?? opts.def;
    const path = parent ? `${parent}.${key}` : key;
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(path, `must be a number (got ${JSON.stringify(v)})`);
    if (opts.int && !Number.isInteger(v)) fail(path, `must be an integer (got ${v})`);
    if (opts.positive && v <= 0) fail(path, `must be > 0 (got ${v})`);
    if (opts.min !== undefined && v < opts.min) fail(path, `must be >= ${opts.min} (got ${v})`);
    return v;
  };
  const str = (key: string): string => {
    const v = r[key];
    if (typeof v !== 'string' || !v.trim()) return fail(key, 'must be a non-empty string');
    return v.trim();
  };
  const name = str('name');
  if (r.illustrative !== true) fail('illustrative', 'must be true: every simulator profile is illustrative, not a measurement');
  const source = str('source');
  const served = r.served_model_name === undefined ? `sim-${name}` : str('served_model_name');
  const maxModelLen = num(r, '', 'max_model_len', { int: true, positive: true });
  const st = obj('step_time_ms');
  const sc = obj('scheduler');
  const kv = obj('kv_cache');
  const pw = obj('power');
  const gen = r.generation === undefined ? {} : obj('generation');
  const profile: SimProfile = {
    name,
    illustrative: true,
    source,
    servedModelName: served,
    maxModelLen,
    stepTimeMs: {
      a: num(st, 'step_time_ms', 'a', { min: 0 }),
      b: num(st, 'step_time_ms', 'b', { min: 0 }),
      c: num(st, 'step_time_ms', 'c', { min: 0 }),
      d: num(st, 'step_time_ms', 'd', { min: 0 }),
    },
    scheduler: {
      maxNumSeqs: num(sc, 'scheduler', 'max_num_seqs', { int: true, positive: true }),
      maxNumBatchedTokens: num(sc, 'scheduler', 'max_num_batched_tokens', { int: true, positive: true }),
    },
    kvCache: {
      blockSize: num(kv, 'kv_cache', 'block_size', { int: true, positive: true }),
      numBlocks: num(kv, 'kv_cache', 'num_blocks', { int: true, positive: true }),
      enablePrefixCaching: kv.enable_prefix_caching === undefined ? true : kv.enable_prefix_caching === true,
    },
    power: {
      idleW: num(pw, 'power', 'idle_w', { min: 0 }),
      maxW: num(pw, 'power', 'max_w', { min: 0 }),
      busyFloor: num(pw, 'power', 'busy_floor', { min: 0, def: 0.3 }),
    },
    generation: { eosMeanTokens: num(gen, 'generation', 'eos_mean_tokens', { positive: true, def: 250 }) },
    file,
  };
  if (profile.stepTimeMs.a + profile.stepTimeMs.b <= 0) fail('step_time_ms.a', 'and b cannot both be 0 (a step must take time)');
  if (profile.power.maxW < profile.power.idleW) fail('power.max_w', `must be >= power.idle_w (${profile.power.idleW})`);
  if (profile.power.busyFloor > 1) fail('power.busy_floor', 'must be in [0, 1]');
  if (kv.enable_prefix_caching !== undefined && typeof kv.enable_prefix_caching !== 'boolean') fail('kv_cache.enable_prefix_caching', 'must be true or false');
  return profile;
}

/** Step time in ms for a batch, from the profile's linear model. */
export function predictStepMs(profile: SimProfile, load: { batch: number; kvTokensPerSeq: number; prefillTokensPerStep?: number }): number {
  const { a, b, c, d } = profile.stepTimeMs;
  return a + b * load.batch + c * load.kvTokensPerSeq * load.batch + d * (load.prefillTokensPerStep ?? 0);
}

/** Per-sequence decode rate (tok/s) for a steady batch: 1000 / stepMs. */
export function predictDecodeTokPerS(profile: SimProfile, load: { batch: number; kvTokensPerSeq: number; prefillTokensPerStep?: number }): number {
  return 1000 / predictStepMs(profile, load);
}
