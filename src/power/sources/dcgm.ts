/**
 * Prometheus /metrics scrape of DCGM fields: dcgm-exporter, and the simulator's DCGM-style page.
 * Energy counter DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION (mJ, summed over GPUs) is preferred; the
 * DCGM_FI_DEV_POWER_USAGE gauge (W) is the fallback. dcgm-exporter pages carry no timestamps and are
 * refreshed every --collect-interval (30 s by default), so a counter value is stamped at the scrape
 * where it first changed, and a long update interval or stale values are flagged.
 */
import { SampledChannel } from '../channel.js';
import type { Clock } from '../../core/index.js';
import { dcgmFromPage, parsePrometheusText, DCGM_ENERGY, DCGM_POWER, type PromPage } from '../parsers/prometheus.js';

/** The simulator's info gauge (power does not import sim: the name is repeated here). */
const SIM_INFO_METRIC = 'agentdyno_sim_info';
import type { PowerSourceInfo } from '../types.js';
import { httpGetText } from './http.js';

export interface DcgmOptions {
  url: string;
  gpus?: string[];
  /** 'energy' (counter), 'power' (gauge) or 'auto' (counter when the page has it). */
  field?: 'energy' | 'power' | 'auto';
  intervalMs?: number;
  simulated?: boolean;
  clock?: Clock;
}

/** Flags for values that stopped changing, and for long update intervals (dcgm-exporter -c). */
export function staleFlags(changes: readonly number[], startMs: number, endMs: number, scrapeMs: number): string[] {
  const flags: string[] = [];
  const inWin = changes.filter((t) => t >= startMs - 60_000 && t <= endMs);
  if (inWin.length >= 3) {
    const gaps = inWin.slice(1).map((t, i) => t - inWin[i]).sort((a, b) => a - b);
    const med = gaps[Math.floor(gaps.length / 2)];
    if (med > 5000) flags.push(`exporter values update only every ~${(med / 1000).toFixed(0)} s (run dcgm-exporter with -c 1000 or lower)`);
  }
  const lastChange = [...changes].reverse().find((t) => t <= endMs);
  const staleMs = lastChange === undefined ? Number.POSITIVE_INFINITY : endMs - lastChange;
  if (staleMs > Math.max(5000, 3 * scrapeMs)) {
    flags.push(
      lastChange === undefined
        ? 'stale: no changing value seen up to the window end'
        : `stale: value unchanged for the last ${(staleMs / 1000).toFixed(1)} s of the window`,
    );
  }
  return flags;
}

/**
 * The simulator's page announces itself (agentdyno_sim_info, src/sim/server/identity.ts); older
 * simulators only by their DCGM labels. Power from it is simulated whatever the spec called it.
 */
export function pageIsSimulator(page: PromPage): boolean {
  return page.samples.some((x) => x.name === SIM_INFO_METRIC || ((x.name === DCGM_ENERGY || x.name === DCGM_POWER) && x.labels.Hostname === 'agentdyno-sim'));
}

export async function openDcgmChannel(opts: DcgmOptions): Promise<SampledChannel> {
  const page = parsePrometheusText(await httpGetText(opts.url));
  const detected = !opts.simulated && pageIsSimulator(page);
  const simulated = opts.simulated === true || detected;
  const first = dcgmFromPage(page, opts.gpus);
  const field = opts.field ?? 'auto';
  const useCounter = field === 'energy' || (field === 'auto' && first.energyJ !== null);
  if (useCounter && first.energyJ === null) throw new Error(`${opts.url}: no ${DCGM_ENERGY} on the page`);
  if (!useCounter && first.powerW === null) throw new Error(`${opts.url}: neither ${DCGM_ENERGY} nor ${DCGM_POWER} on the page`);
  const changes: number[] = [];
  let last: number | null = null;
  let ch: SampledChannel;
  const info: PowerSourceInfo = {
    source: simulated ? 'sim' : 'dcgm-exporter',
    boundary: simulated
      ? `simulated GPU board power of the built-in simulator (${first.gpus.length} GPU(s)); not a measurement`
      : `${first.gpus.length}x GPU board (${first.modelNames.join(', ') || 'model unknown'}), DCGM`,
    includes: simulated ? ['simulated accelerators'] : [`${first.gpus.length}x GPU board incl. its memory`],
    excludes: ['host CPUs', 'DRAM', 'NICs', 'switches', 'fans', 'PSU loss'],
    field: useCounter ? DCGM_ENERGY : DCGM_POWER,
    tool: simulated ? 'agentdyno sim /metrics' : 'dcgm-exporter',
    statedAccuracy: simulated ? 'n/a (simulated)' : 'NVML: +/-5 W per GPU (nvidia-smi help); exporter staleness up to its collect interval',
    comparabilityClass: simulated ? 'simulated' : 'gpu-board',
    simulated,
    boundaryKind: simulated ? 'simulated' : 'gpu-board',
    host: new URL(opts.url).host,
    devices: first.gpus,
    clockRule: 'each scrape stamped with the local monotonic clock at receipt' + (simulated ? '' : '; counter stamped at the scrape where it first changed'),
  };
  const intervalMs = opts.intervalMs ?? (simulated ? 250 : 1000);
  ch = new SampledChannel({
    info,
    kind: useCounter ? 'energy-counter' : 'power-interval-avg',
    periodMs: intervalMs,
    clock: opts.clock,
    // Counters: a repeated value from a real exporter is an old value, not "no energy used".
    poll: async () => {
      const r = dcgmFromPage(parsePrometheusText(await httpGetText(opts.url, { timeoutMs: Math.max(1000, intervalMs * 4) })), opts.gpus);
      const v = useCounter ? r.energyJ : r.powerW;
      const now = ch.clock.nowMs();
      if (v !== null && v !== last) changes.push(now);
      const repeated = v !== null && v === last;
      last = v;
      if (useCounter && repeated && !simulated) return undefined;
      return v;
    },
    extraFlags: (s, e) =>
      simulated
        ? [
            'simulated: modelled power of the built-in simulator, not a measurement',
            ...(detected ? [`simulated: ${opts.url} is agentdyno's simulator (it says so on the page), so it is read as class simulated, not as dcgm-exporter`] : []),
          ]
        : staleFlags(changes, s, e, intervalMs),
  });
  return ch;
}

