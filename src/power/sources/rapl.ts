/**
 * RAPL energy counters under /sys/class/powercap (or `root=` for tests). Zones: the top-level
 * `intel-rapl:N` package zones by default (+ `dram` sub-zones with zones=package,dram); never
 * core/uncore (inside the package) and never the MMIO duplicates; `psys` only when asked, and then
 * alone (it contains the packages). Each zone is its own counter with its own wrap range
 * (max_energy_range_uj); the channel sums the zones' windows (disjoint by construction).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SampledChannel } from '../channel.js';
import type { PowerChannel, PowerSourceInfo, WindowPower } from '../types.js';
import { sumWindows } from '../combine.js';

export interface RaplZone {
  dir: string;
  name: string;
  maxRangeUj: number;
  /** Top-level (intel-rapl:N) or sub-zone (intel-rapl:N:M). */
  depth: number;
}

const DEFAULT_ROOT = '/sys/class/powercap';

export async function listRaplZones(root = DEFAULT_ROOT): Promise<RaplZone[]> {
  const out: RaplZone[] = [];
  const entries = await readdir(root);
  for (const e of entries.sort()) {
    const m = /^intel-rapl:(\d+)(?::(\d+))?$/.exec(e); // skips intel-rapl-mmio:* (duplicates of MSR zones)
    if (!m) continue;
    const dir = path.join(root, e);
    const name = (await readFile(path.join(dir, 'name'), 'utf8')).trim();
    const maxRangeUj = Number((await readFile(path.join(dir, 'max_energy_range_uj'), 'utf8').catch(() => 'NaN')).trim());
    out.push({ dir, name, maxRangeUj, depth: m[2] === undefined ? 0 : 1 });
  }
  return out;
}

/** Which zones to sum for the requested domains, without double counting. */
export function selectZones(zones: readonly RaplZone[], wanted: readonly string[] = ['package']): RaplZone[] {
  if (wanted.includes('psys')) {
    if (wanted.length > 1) throw new Error('psys contains the packages and DRAM: use zones=psys alone');
    return zones.filter((z) => z.name === 'psys');
  }
  const sel: RaplZone[] = [];
  if (wanted.includes('package')) sel.push(...zones.filter((z) => z.depth === 0 && z.name.startsWith('package')));
  if (wanted.includes('dram')) sel.push(...zones.filter((z) => z.name === 'dram'));
  for (const w of wanted) if (!['package', 'dram'].includes(w)) throw new Error(`zone "${w}" not supported: use package, dram or psys (core/uncore are inside the package)`);
  return sel;
}

export async function readEnergyUj(zone: RaplZone): Promise<number> {
  return Number((await readFile(path.join(zone.dir, 'energy_uj'), 'utf8')).trim());
}

export async function openRaplChannel(o: { root?: string; zones?: string[]; intervalMs?: number }): Promise<PowerChannel> {
  const root = o.root ?? DEFAULT_ROOT;
  const zones = selectZones(await listRaplZones(root), o.zones ?? ['package']);
  if (zones.length === 0) throw new Error(`no RAPL zone matching ${(o.zones ?? ['package']).join(',')} under ${root}`);
  for (const z of zones) await readEnergyUj(z); // EACCES surfaces here, before the sweep starts
  const hasDram = zones.some((z) => z.name === 'dram');
  const info: PowerSourceInfo = {
    source: 'rapl',
    boundary: `CPU ${zones.map((z) => z.name).join(' + ')} (RAPL)`,
    includes: zones.map((z) => z.name),
    excludes: ['GPUs', 'DRAM chips themselves (RAPL dram is a model)', 'fans', 'PSU loss', ...(hasDram ? [] : ['DRAM domain'])],
    field: 'energy_uj (cumulative uJ)',
    tool: 'powercap sysfs',
    statedAccuracy: 'model-based counter (vendor undocumented)',
    comparabilityClass: 'cpu-package',
    simulated: false,
    boundaryKind: 'cpu-package',
    host: 'local',
    devices: zones.map((z) => path.basename(z.dir)),
    readingKind: 'energy-counter',
    clockRule: 'counter read every interval on the local monotonic clock',
  };
  const subs = zones.map(
    (z) =>
      new SampledChannel({
        info: { ...info, devices: [path.basename(z.dir)] },
        kind: 'energy-counter',
        periodMs: o.intervalMs ?? 1000,
        integrate: { rangeJ: z.maxRangeUj / 1e6 },
        poll: async () => (await readEnergyUj(z)) / 1e6,
      }),
  );
  return {
    info: () => info,
    start: async () => {
      for (const s of subs) await s.start();
    },
    stop: async () => {
      for (const s of subs) await s.stop();
    },
    window: async (a: bigint, b: bigint): Promise<WindowPower> => {
      const ws = await Promise.all(subs.map((s) => s.window(a, b)));
      return { ...sumWindows(ws), ...info, comparabilityClass: 'cpu-package' };
    },
  };
}

export async function probeRapl(root = DEFAULT_ROOT): Promise<{ available: boolean; problems: string[]; detail?: string }> {
  let zones: RaplZone[];
  try {
    zones = await listRaplZones(root);
  } catch (e) {
    return { available: false, problems: [`${root} not readable: ${(e as Error).message} (no powercap driver, or a VM/container without RAPL)`] };
  }
  if (zones.length === 0) return { available: false, problems: [`no intel-rapl zones under ${root} (VMs usually expose none)`] };
  const problems: string[] = [];
  for (const z of zones) {
    try {
      await readEnergyUj(z);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(
        code === 'EACCES'
          ? `${z.dir}/energy_uj: permission denied (root-only since Linux 5.10, CVE-2020-8694): run as root or via zeusd; relaxing sysfs modes is a security trade-off`
          : `${z.dir}/energy_uj: ${(e as Error).message}`,
      );
    }
  }
  return { available: problems.length === 0, problems, detail: zones.map((z) => z.name).join(', ') };
}
