/**
 * The one list of stable error codes. A code names what went wrong in words a script can branch on;
 * its family fixes the process exit code, so a caller never picks an exit code by hand.
 * docs/errors.md documents every code (a test keeps the two in step).
 */
export const ERROR_FAMILIES = {
  usage: { exitCode: 2, summary: 'a flag or argument is wrong or out of range' },
  input: { exitCode: 2, summary: 'an input file or its content is wrong (trajectory, task, profile, spec, log)' },
  endpoint: { exitCode: 3, summary: 'the target endpoint is unreachable, misbehaves, or lacks what the run needs' },
  power: { exitCode: 4, summary: 'a power source cannot be opened or read' },
  sandbox: { exitCode: 5, summary: 'untrusted code cannot be run safely, or a task cannot run on this machine' },
  store: { exitCode: 6, summary: 'the results database or a stored run is missing or inconsistent' },
  budget: { exitCode: 7, summary: 'a token budget is spent or misused' },
  workers: { exitCode: 8, summary: 'a load worker (thread or machine), or the Redis that joins them, failed or does not match the coordinator' },
  interrupted: { exitCode: 130, summary: 'the run was interrupted (SIGINT/SIGTERM); finished results are stored' },
  internal: { exitCode: 70, summary: 'a bug in agentdyno: please report it with the command line' },
} as const;

export type ErrorFamily = keyof typeof ERROR_FAMILIES;

export const ERROR_CODES = {
  E_USAGE: { family: 'usage', summary: 'a flag or argument is missing, malformed or contradicts another' },
  E_USAGE_RANGE: { family: 'usage', summary: 'a numeric flag is outside the range that makes sense (e.g. --growth <= 1)' },
  E_FILE_NOT_FOUND: { family: 'input', summary: 'a named input file or folder does not exist or cannot be read' },
  E_OUTPUT_EXISTS: { family: 'input', summary: 'an output path exists or resolves to an input file; pass --force or another path' },
  E_TRAJECTORY_INVALID: { family: 'input', summary: 'a trajectory file breaks agentdyno.trajectory.v1 (file:line: JSON path)' },
  E_TRAJECTORY_LIMIT: { family: 'input', summary: 'a trajectory is valid JSON but exceeds what replay can do (token counts, depth, size)' },
  E_IMPORT_FORMAT: { family: 'input', summary: 'a foreign log does not match the importer named (the hint names one that fits)' },
  E_PROFILE_INVALID: { family: 'input', summary: 'a simulator profile is missing or malformed' },
  E_TASK_INVALID: { family: 'input', summary: 'a task folder or task.toml is malformed' },
  E_POWER_SPEC: { family: 'input', summary: 'a --power spec is malformed' },
  E_INPUT_INVALID: { family: 'input', summary: 'another input (JSON, TOML, YAML, CSV) is malformed' },
  E_ENDPOINT_UNREACHABLE: { family: 'endpoint', summary: 'the endpoint refuses connections, resets them or does not answer' },
  E_ENDPOINT_TIMEOUT: { family: 'endpoint', summary: 'a set-up step waited past its deadline' },
  E_ENDPOINT_PROTOCOL: { family: 'endpoint', summary: 'the endpoint answers but not as the API requires (status, SSE, usage, JSON)' },
  E_ENDPOINT_UNSUPPORTED: { family: 'endpoint', summary: 'the endpoint lacks a feature the run needs (a route, ignore_eos, streaming usage)' },
  E_ENDPOINT_AUTH: { family: 'endpoint', summary: 'an API key is missing, empty or refused' },
  E_PORT_IN_USE: { family: 'endpoint', summary: 'a port agentdyno should listen on is taken' },
  E_LISTEN: { family: 'endpoint', summary: 'agentdyno cannot listen on the address asked for' },
  E_POWER_SOURCE: { family: 'power', summary: 'a power source cannot be opened, read or stopped' },
  E_SANDBOX_UNAVAILABLE: { family: 'sandbox', summary: 'bubblewrap (or another required isolation) is missing or broken' },
  E_TASK_UNRUNNABLE: { family: 'sandbox', summary: 'a task needs what this machine lacks (a tool, a GPU) or its baseline fails' },
  E_AGENT: { family: 'sandbox', summary: 'a loop agent cannot start or its proposals cannot be applied' },
  E_STORE: { family: 'store', summary: 'the results database cannot be opened or written' },
  E_RUN_NOT_FOUND: { family: 'store', summary: 'no stored run has that id' },
  E_BROWSER_UNAVAILABLE: { family: 'usage', summary: 'report --png needs Chromium and puppeteer-core, and one is missing' },
  E_RESULT_INVALID: { family: 'store', summary: 'a stored run result does not match agentdyno.run.v1 (schemas/run.v1.json), or its kind has no published shape' },
  E_SHARD_MISMATCH: { family: 'store', summary: 'shards to merge are not one experiment or do not overlap' },
  E_BUDGET_SPENT: { family: 'budget', summary: 'a token budget is spent' },
  E_BUDGET_MISUSE: { family: 'budget', summary: 'a consumed budget handle was used again' },
  E_BUDGET_UNBOUNDED: { family: 'budget', summary: 'a request\'s worst-case cost cannot be bounded (server-side tools, images, unknown stored context), so it is refused' },
  E_WORKER_START: { family: 'workers', summary: 'a load worker could not start or load what the coordinator sent (endpoint, trajectories)' },
  E_WORKER_MISMATCH: { family: 'workers', summary: 'a load worker runs another agentdyno version or another trajectory set than the coordinator' },
  E_WORKER_LOST: { family: 'workers', summary: 'a load worker died or went silent mid-level: the level is invalid, the sweep ends, finished levels are stored' },
  E_WORKERS_TIMEOUT: { family: 'workers', summary: 'fewer workers than --expect-workers registered before --workers-timeout' },
  E_REDIS_UNREACHABLE: { family: 'workers', summary: 'the Redis named by --redis cannot be reached' },
  E_REDIS_LOST: { family: 'workers', summary: 'the Redis joining coordinator and workers went away mid-run; finished levels are stored and the run is marked' },
  E_INTERRUPTED: { family: 'interrupted', summary: 'interrupted by a signal; finished results are stored and the run is marked' },
  E_INTERNAL: { family: 'internal', summary: 'an invariant broke inside agentdyno' },
} as const satisfies Record<string, { family: ErrorFamily; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function exitCodeFor(code: ErrorCode): number {
  return ERROR_FAMILIES[ERROR_CODES[code].family].exitCode;
}
