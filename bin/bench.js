#!/usr/bin/env node
// `npm run bench -- NAME [args]`: runs bench/NAME/run.mjs with the args (each bench's README says
// what it measures and which build it needs). Without a name: lists the benches.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
if (!existsSync(benchDir)) {
  console.error('bench/ is not here: benches run from a source checkout, not the installed package');
  process.exit(2);
}
const names = readdirSync(benchDir).filter((n) => existsSync(join(benchDir, n, 'run.mjs')));
const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.error(`${name ? `no bench named ${name}. ` : ''}benches: ${names.join(', ')}\nusage: npm run bench -- NAME [args]  (see bench/NAME/README.md)`);
  process.exit(name ? 2 : 0);
}
const r = spawnSync(process.execPath, [join(benchDir, name, 'run.mjs'), ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
