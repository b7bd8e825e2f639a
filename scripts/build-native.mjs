// Builds the native reader of the opt-in `native` transport (src/endpoint/native/reader.c) into
// dist/native/agentdyno-reader. Optional by design: without a C compiler, or off Linux (it uses
// epoll), it says in one line that the native transport is unavailable and exits 0, so
// `npm run build` never fails for it and the default transports (net, undici) are unaffected.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src/endpoint/native/reader.c');
const out = join(root, 'dist/native/agentdyno-reader');
const cc = process.env.CC || 'cc';

if (process.platform !== 'linux') {
  console.log(`native transport unavailable: its reader uses Linux epoll (this is ${process.platform}); net and undici work as before`);
  process.exit(0);
}
mkdirSync(dirname(out), { recursive: true });
const r = spawnSync(cc, ['-std=gnu11', '-O2', '-Wall', '-o', out, src], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
if (r.error || r.status !== 0) {
  const why = r.error ? `no C compiler (${cc}: ${r.error.code ?? r.error.message})` : `${cc} failed: ${(r.stderr || '').trim().split('\n').slice(-1)[0]}`;
  console.log(`native transport unavailable: ${why}; install a C compiler (e.g. apt-get install gcc) and rebuild to use AGENTDYNO_TRANSPORT=native`);
  process.exit(0);
}
if (r.stderr.trim()) process.stderr.write(r.stderr);
