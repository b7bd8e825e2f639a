// Child process for interrupt.test.ts (plain node over the built dist/; `npm test` builds first): opens the store,
// starts a run, commits one batch, installs the interrupt handler, says "ready", then idles (mode crash: throws).
import { openStore, markInterruptedOnExit, markFailedOnCrash } from '../../dist/store/index.js';

const [dbPath, runId, mode] = process.argv.slice(2);
const store = openStore(dbPath);
store.createRun({ id: runId, kind: 'sweep', config: { concurrency: [1, 2] } });
store.insertRequests(
  runId,
  Array.from({ length: 50 }, (_, i) => ({
    level: 1,
    lane: i % 4,
    agent: 'main',
    step: i,
    status: 'ok',
    tSchedNs: 10n ** 15n + BigInt(i),
    inWindow: true,
  })),
);
if (mode !== 'no-handler') markInterruptedOnExit(store, runId);
if (mode === 'crash') {
  markFailedOnCrash(store, runId);
  setTimeout(() => {
    throw new Error('boom: a bug after the first batch');
  }, 50);
}
process.stdout.write('ready\n');
setInterval(() => {}, 1000);
