import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { startSimServer } from '../../src/sim/index.js';
import { fastProfile } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(`${root}dist/commands/sim/serve.js`);

describe.skipIf(!built)('agentdyno sim commands (built CLI)', () => {
  it('sim profiles --json lists illustrative profiles', async () => {
    const r = await execa('node', ['bin/run.js', 'sim', 'profiles', '--json'], { cwd: root, reject: false });
    const out = JSON.parse(r.stdout);
    expect(out.profiles.map((p: { name: string }) => p.name)).toContain('small');
    expect(out.profiles.every((p: { illustrative: boolean }) => p.illustrative)).toBe(true);
  });

  it('sim serve on a port in use exits non-zero with a one-paragraph error', async () => {
    const holder = await startSimServer({ profile: fastProfile(), port: 0 });
    try {
      const r = await execa('node', ['bin/run.js', 'sim', 'serve', '--port', String(holder.port)], { cwd: root, reject: false, timeout: 30_000 });
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`port ${holder.port} is already in use.*--port`));
    } finally {
      await holder.close();
    }
  });

  it('sim serve prints the URL and the illustrative label, serves, and stops on SIGINT', async () => {
    const child = execa('node', ['bin/run.js', 'sim', 'serve', '--port', '0'], { cwd: root, reject: false, timeout: 30_000 });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m && /ILLUSTRATIVE/.test(out)) resolve(m[1]);
      });
      child.catch(reject);
    });
    const models = (await (await fetch(url + '/v1/models')).json()) as { data: { id: string }[] };
    expect(models.data[0].id).toBe('sim-small');
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(0);
  });
});
