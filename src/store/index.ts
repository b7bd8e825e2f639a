/** Results store (DESIGN 3.3): SQLite schema + migrations, typed reads/writes, export. No business logic. */
export { openStore, Store, type OpenStoreOptions } from './store.js';
export { DEFAULT_DB_PATH, resolveDbPath, migrate, schemaVersion, openDatabase } from './db.js';
export { migrations, type Migration } from './migrations/index.js';
export { markInterruptedOnExit, markFailedOnCrash, type InterruptOptions } from './interrupt.js';
export { redact, isSecretKey, REDACTED } from './redact.js';
export { hostInfo, agentdynoVersion, gitSha, type HostInfo } from './host.js';
export { exportRun, runExport, writeRunExport, csvField, type ExportFormat, type RunExport } from './export.js';
export * from './rows.js';
export * from './run-v1.js';
export { readRunDocument, toRunDocument, validateRunDocument, RUN_SCHEMA_PATH, type SchemaProblem } from './document.js';
