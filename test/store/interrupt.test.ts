import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/index.js';
import { tempDb } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const childFile = path.join(here, 'child-entry.mjs');
const t = tempDb();

beforeAll(() => {
  if (!fs.existsSync(path.join(root, 'dist', 'store', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
});
afterAll(() => {
  t.cleanup();
});

/** Starts the child, waits for "ready", sends `signal` (none: it ends by itself), resolves with its exit code/signal. */
function runChild(runId: string, signal: NodeJS.Signals | null, mode = ''): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childFile, t.file, runId, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not finish: ${stderr}`));
    }, 20_000);
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      if (signal && String(d).includes('ready')) child.kill(signal);
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, stderr });
    });
  });
}

describe('interrupted runs', () => {
  it('SIGINT marks the run interrupted, exits 130, and the committed batch is readable', async () => {
    const res = await runChild('int-1', 'SIGINT');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(130);
    const s = openStore(t.file);
    const run = s.getRun('int-1')!;
    expect(run.status).toBe('interrupted');
    expect(run.endedAt).not.toBeNull();
    const rows = s.getRequests('int-1');
    expect(rows).toHaveLength(50);
    expect(rows[49].tSchedNs).toBe(10n ** 15n + 49n);
    s.close();
  });

  it('SIGTERM exits 143 and marks the run interrupted', async () => {
    const res = await runChild('term-1', 'SIGTERM');
    expect(res.code).toBe(143);
    const s = openStore(t.file);
    expect(s.getRun('term-1')!.status).toBe('interrupted');
    s.close();
  });

  it('a run left running by a killed process is recovered as interrupted on the next open', async () => {
    const res = await runChild('kill-1', 'SIGKILL', 'no-handler');
    expect(res.signal).toBe('SIGKILL');
    const s = openStore(t.file);
    const run = s.getRun('kill-1')!;
    expect(run.status).toBe('interrupted');
    // The real end time is unknown: ended_at is when the next command noticed, and the result says so.
    expect(run.endedAt).not.toBeNull();
    expect(run.result).toMatchObject({ status: 'interrupted', interruption: { endedAtIsDetection: true } });
    expect(s.countRequests('kill-1')).toBe(50);
    // a run of a live process (this one) is left alone
    s.createRun({ id: 'live', kind: 'sweep', config: {} });
    expect(s.recoverStaleRuns()).toEqual([]);
    expect(s.getRun('live')!.status).toBe('running');
    s.close();
  });

  it('an uncaught exception marks the run failed, exits 1, and keeps the committed batch', async () => {
    const res = await runChild('crash-1', null, 'crash');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/boom: a bug after the first batch/);
    expect(res.stderr).toMatch(/run crash-1 is marked failed/);
    const s = openStore(t.file);
    expect(s.getRun('crash-1')!.status).toBe('failed');
    expect(s.countRequests('crash-1')).toBe(50);
    s.close();
  });
});
