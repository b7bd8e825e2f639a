/**
 * Tests that run proposals under bubblewrap skip themselves where it is missing (a fresh machine
 * with only Node 20): this setup prints ONE summary line at the end naming the files whose sandbox
 * tests were skipped and how to enable them. Under CI (`CI` set, `.ci/run` installs bubblewrap) a
 * missing or broken sandbox fails the run instead: security tests are never skipped silently there.
 *
 * Simulate a machine without bubblewrap: AGENTDYNO_TEST_NO_BWRAP=1 npm test (findBwrap honours it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { findBwrap } from '../../src/loop/sandbox.js';

/** Test files that skip without bubblewrap (they use the shared `hasBwrap` guard). */
function sandboxTestFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.test\.tsx?$/.test(e.name) && /skipIf\(!hasBwrap\)/.test(fs.readFileSync(p, 'utf8'))) out.push(path.relative(root, p));
    }
  };
  walk(path.join(root, 'test'));
  return out.sort();
}

export default function setup(): (() => void) | void {
  if (findBwrap()) return;
  const files = sandboxTestFiles(process.cwd());
  const why = process.env.AGENTDYNO_TEST_NO_BWRAP === '1' ? 'AGENTDYNO_TEST_NO_BWRAP=1 (simulated)' : 'no working bubblewrap (bwrap) on this machine';
  if (process.env.CI) {
    throw new Error(`CI: the sandbox is missing or broken (${why}); ${files.length} test files need it (${files.join(', ')}). .ci/run installs bubblewrap: check that it did and that bwrap can start a sandbox here (user namespaces).`);
  }
  return () => {
    console.log(`\nskipped sandbox tests (${why}) in ${files.length} files: ${files.join(', ')}. Enable them: apt-get install bubblewrap (or run CI=true bash .ci/run, which installs it and fails if the sandbox does not work).`);
  };
}
