/** Run a short command (execa); a missing binary surfaces as an Error with code 'ENOENT'. */
import { execa } from 'execa';

export async function runTool(bin: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await execa(bin, args, { env: opts.env, timeout: opts.timeoutMs ?? 10_000, reject: false, stdin: 'ignore' });
  const code = (r as unknown as { code?: string }).code;
  if (r.exitCode === undefined) {
    const err = new Error(code === 'ENOENT' ? `${bin} not found on PATH` : `${bin} could not run: ${r.message ?? code ?? 'unknown error'}`) as NodeJS.ErrnoException;
    err.code = code;
    throw err;
  }
  return { exitCode: r.exitCode, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}
