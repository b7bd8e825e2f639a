/**
 * nvidia-smi as one long-lived child: `--query-gpu=timestamp,index,uuid,FIELD --format=csv,noheader,nounits --loop-ms=N` (long form of -lms).
 * Each tick (one line per GPU) is summed over the selected GPUs and stamped with the local monotonic
 * clock when its last line arrives. `power.draw` is a 1 s trailing average on Ampere and newer
 * (integrated as interval averages); `power.draw.instant` is instantaneous (trapezoid).
 * UNVALIDATED ON HARDWARE: tested only against a fake nvidia-smi printing captured-format lines.
 */
import { execa, type ResultPromise } from 'execa';
import { runTool } from './exec.js';
import { createInterface } from 'node:readline';
import { SampledChannel } from '../channel.js';
import { NvsmiTickAssembler, parseNvsmiLine } from '../parsers/nvidiaSmi.js';
import type { PowerSourceInfo } from '../types.js';

export interface NvidiaSmiOptions {
  gpus?: string[];
  field?: string;
  intervalMs?: number;
  bin?: string;
}

const FIELDS = ['power.draw', 'power.draw.instant', 'power.draw.average', 'module.power.draw.instant', 'module.power.draw.average'];

export async function listGpus(bin = 'nvidia-smi'): Promise<{ index: string; uuid: string; name: string; driver: string }[]> {
  const r = await runTool(bin, ['--query-gpu=index,uuid,name,driver_version', '--format=csv,noheader']);
  if (r.exitCode !== 0) throw new Error(`${bin} exited ${r.exitCode}: ${String(r.stderr || r.stdout).trim().slice(0, 200)}`);
  return String(r.stdout)
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [index, uuid, name, driver] = l.split(',').map((c) => c.trim());
      return { index, uuid, name, driver };
    });
}

export async function openNvidiaSmiChannel(o: NvidiaSmiOptions): Promise<SampledChannel> {
  const bin = o.bin ?? 'nvidia-smi';
  const field = o.field ?? 'power.draw';
  if (!FIELDS.includes(field)) throw new Error(`field "${field}" is not one of ${FIELDS.join(', ')}`);
  const all = await listGpus(bin);
  const sel = o.gpus ? all.filter((g) => o.gpus!.includes(g.index) || o.gpus!.includes(g.uuid)) : all;
  if (sel.length === 0) throw new Error(`no GPU matches gpus=${o.gpus?.join(',')} (nvidia-smi lists ${all.map((g) => g.index).join(',') || 'none'})`);
  const intervalMs = o.intervalMs ?? 500;
  const instant = field.endsWith('.instant');
  const module = field.startsWith('module.');
  const info: PowerSourceInfo = {
    source: 'nvidia-smi',
    boundary: `${sel.length}x ${module ? 'GPU module (GPU + CPU on superchips)' : 'GPU board'} (${[...new Set(sel.map((g) => g.name))].join(', ')})`,
    includes: [`${sel.length}x ${module ? 'GPU module' : 'GPU board incl. its memory'}`],
    excludes: ['host CPUs', 'DRAM', 'NICs', 'switches', 'fans', 'PSU loss'],
    field: instant ? field : `${field} (1 s trailing average on Ampere+, instantaneous on older GPUs)`,
    tool: 'nvidia-smi',
    toolVersion: `driver ${sel[0].driver}`,
    statedAccuracy: '+/-5 W per GPU (nvidia-smi --help-query-gpu); unvalidated on hardware in agentdyno',
    comparabilityClass: 'gpu-board',
    simulated: false,
    boundaryKind: 'gpu-board',
    host: 'local',
    devices: sel.map((g) => g.uuid || g.index),
    averagingWindowMs: instant ? undefined : 1000,
    clockRule: 'each tick stamped with the local monotonic clock when its last GPU line arrives',
  };
  let child: ResultPromise | null = null;
  const ch = new SampledChannel({
    info,
    kind: instant ? 'power-instant' : 'power-interval-avg',
    integrate: instant ? {} : { averagingWindowMs: 1000 },
    onStart: async (c) => {
      const asm = new NvsmiTickAssembler(field, sel.length, o.gpus);
      const cols = ['timestamp', 'index', 'uuid', field];
      child = execa(bin, [`--query-gpu=${cols.join(',')}`, '--format=csv,noheader,nounits', `--loop-ms=${intervalMs}`], { buffer: false, reject: false, stdin: 'ignore', stderr: 'ignore' });
      const rl = createInterface({ input: child.stdout! });
      rl.on('line', (line) => {
        const row = parseNvsmiLine(line, cols);
        if (!row) return;
        for (const t of asm.add(row, c.clock.nowMs())) c.push(t.value, t.tLocalMs ?? c.clock.nowMs());
      });
      child.catch(() => {});
    },
    onStop: async () => {
      // Kill only our own child, by its handle.
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await child.catch(() => {});
      }
    },
  });
  return ch;
}

export async function probeNvidiaSmi(bin = 'nvidia-smi'): Promise<{ available: boolean; problems: string[]; detail?: string }> {
  try {
    const g = await listGpus(bin);
    if (g.length === 0) return { available: false, problems: ['nvidia-smi ran but listed no GPU'] };
    return { available: true, problems: ['unvalidated on hardware: agentdyno tested this source only with a fake nvidia-smi'], detail: `${g.length} GPU(s): ${g.map((x) => x.name).join(', ')}, driver ${g[0].driver}` };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { available: false, problems: [err.code === 'ENOENT' ? 'nvidia-smi not found on PATH (no NVIDIA driver installed?)' : err.message] };
  }
}
