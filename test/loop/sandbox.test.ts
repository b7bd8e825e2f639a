import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseSandbox, classify, findBwrap, prepareWorkspaceOwner, runStep, type SandboxMode } from '../../src/loop/index.js';

const hasBwrap = findBwrap() !== null;
let ws = '';
const sandbox: SandboxMode = 'bwrap';
const outside = path.join(os.tmpdir(), `agentdyno-outside-${process.pid}`);

beforeAll(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-sbx-'));
  prepareWorkspaceOwner(ws, sandbox);
});
afterAll(() => {
  fs.rmSync(ws, { recursive: true, force: true });
  fs.rmSync(outside, { force: true });
});

describe.skipIf(!hasBwrap)('sandbox (bubblewrap)', () => {
  it('runs a command in the workspace, writable', async () => {
    const r = await runStep('echo hi > x && cat x', ws, { phase: 'build', sandbox });
    expect(r.failure).toBeNull();
    expect(r.stdout.trim()).toBe('hi');
    expect(r.sandbox).toBe('bwrap');
  });

  it('kills a command that loops forever at the timeout (whole group)', async () => {
    const r = await runStep('sleep 100 & while :; do :; done', ws, { phase: 'measure', sandbox, limits: { wallSec: 1 } });
    expect(r.timedOut).toBe(true);
    expect(r.failure).toBe('timeout');
  });

  it('contains a fork bomb', async () => {
    const r = await runStep('b() { b | b & }; b; sleep 5', ws, { phase: 'check', sandbox, limits: { wallSec: 3, nproc: 64 } });
    expect(['process_limit', 'timeout']).toContain(r.failure);
  });

  it('refuses writes outside the workspace', async () => {
    const r = await runStep(`echo x > ${outside}; echo y > /etc/agentdyno-test`, ws, { phase: 'check', sandbox });
    expect(r.failure).toBe('sandbox_violation');
    expect(fs.existsSync(outside)).toBe(false);
  });

  it('has no network (not even the host loopback), while the same command reaches it unsandboxed', async () => {
    // Loopback only: a listener on the host's 127.0.0.1. Dialling 1.1.1.1 instead would "pass" on
    // any machine without internet, sandbox or not.
    let accepted = 0;
    const srv = net.createServer((c) => { accepted++; c.end(); });
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    const port = (srv.address() as net.AddressInfo).port;
    const dial = `python3 -c "import socket; socket.create_connection(('127.0.0.1', ${port}), timeout=2)"`;
    try {
      const boxed = await runStep(dial, ws, { phase: 'check', sandbox, limits: { wallSec: 10 } });
      expect(boxed.exitCode).not.toBe(0);
      expect(accepted).toBe(0);
      const open = await runStep(dial, ws, { phase: 'check', sandbox: 'none (unsafe)', limits: { wallSec: 10 } });
      expect(open.exitCode).toBe(0);
      expect(accepted).toBe(1);
    } finally {
      srv.close();
    }
  });

  it('fails a memory hog under the address-space limit', async () => {
    const r = await runStep(`python3 -c "x = bytearray(512 * 1024 * 1024)"`, ws, { phase: 'measure', sandbox, limits: { memoryMb: 128 } });
    expect(r.failure).toBe('oom');
  });

  it('caps output', async () => {
    const r = await runStep('yes', ws, { phase: 'measure', sandbox, limits: { outputBytes: 10_000, wallSec: 5 } });
    expect(r.failure).toBe('output_limit');
  });
});

describe('sandbox selection and classification', () => {
  it('unsafe mode is explicit', () => {
    if (!hasBwrap) expect(() => chooseSandbox(false)).toThrow(/bubblewrap/);
    expect(['bwrap', 'none (unsafe)']).toContain(chooseSandbox(true));
  });
  it('classifies by phase when nothing more specific fits', () => {
    const base = { signal: null, timedOut: false, outputTruncated: false, stdout: '', stderr: 'error: expected ;' };
    expect(classify({ ...base, exitCode: 2, phase: 'build' })).toBe('build_error');
    expect(classify({ ...base, exitCode: 1, phase: 'check' })).toBe('wrong_answer');
    expect(classify({ ...base, exitCode: null, signal: 'SIGSEGV', phase: 'measure' })).toBe('crash');
    expect(classify({ ...base, exitCode: 0, phase: 'measure' })).toBeNull();
  });
});
