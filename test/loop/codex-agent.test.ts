/**
 * A real agent CLI end to end: Codex CLI (npm @openai/codex, a native binary that runs offline)
 * as the loop's proposer, inside bubblewrap, through the proxy (Responses API), against
 * `sim --script`. Skipped unless a codex binary is given (AGENTDYNO_CODEX_BIN) or on PATH: it is a
 * ~400 MB install, so it is not a dependency of agentdyno. The binary must live outside /tmp (the
 * sandbox's /tmp is its own tmpfs). Run: npm install --prefix /opt/agentdyno-agents @openai/codex (.ci/run does, pinned);
 * AGENTDYNO_CODEX_BIN=/opt/agentdyno-agents/node_modules/.bin/codex.
 */
import { describeAgentCli } from './agent-cli.js';

describeAgentCli({
  preset: 'codex',
  binEnv: 'AGENTDYNO_CODEX_BIN',
  binName: 'codex',
  toolCall: (cmd) => ({ name: 'exec_command', arguments: JSON.stringify({ cmd }) }),
  recordedMark: 'exec_command',
  title: 'Codex edits solve.c through its exec_command tool; the loop scores it; the Responses session is recorded',
});
