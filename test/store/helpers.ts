import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDb(): { dir: string; file: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-store-'));
  return { dir, file: path.join(dir, 'results', 'agentdyno.db'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
