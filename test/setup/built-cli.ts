/**
 * CLI tests run the built CLI (dist/). Some of them skip when it is missing, which is fine while
 * working on one module but would let CI pass without testing the commands: `npm test` builds first,
 * so under CI a missing dist/ is an error, never a silent skip.
 */
import { existsSync } from 'node:fs';

export default function setup(): void {
  if (existsSync('dist/commands/sweep.js')) return;
  const msg = 'dist/ is missing: run `npm run build` (or `npm test`, which builds first); the CLI tests need the built commands.';
  if (process.env.CI) throw new Error(msg);
  console.warn(`warning: ${msg} CLI tests will be skipped.`);
}
