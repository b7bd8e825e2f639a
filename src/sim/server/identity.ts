/**
 * How the simulator announces itself, so every figure measured against it is labelled SIMULATED
 * however it was reached (DESIGN 5): a response header on every answer, `owned_by` and an
 * `agentdyno_sim` object on each /v1/models entry, and an info gauge on /metrics. Clients detect
 * it through endpoint/ (header, models) and power/ (metrics page); the strings live here and are
 * repeated there on purpose: sim imports only core, and those modules do not import sim.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SIM_HEADER = 'x-agentdyno-sim';
export const SIM_OWNED_BY = 'agentdyno-sim';
export const SIM_INFO_METRIC = 'agentdyno_sim_info';

let cached: string | undefined;
/** agentdyno's package version (src/sim/server and dist/sim/server sit three levels below the root). */
export function simVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    cached = String((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown');
  } catch {
    cached = 'unknown';
  }
  return cached;
}
