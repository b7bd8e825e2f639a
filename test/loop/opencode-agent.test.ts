/**
 * A second real agent CLI end to end: OpenCode (npm opencode-ai, a native binary) as the loop's
 * proposer, inside bubblewrap, through the proxy (chat completions), against `sim --script`, with
 * no network and no package install: its custom provider is the bundled @ai-sdk/openai-compatible.
 * Skipped unless a binary is given (AGENTDYNO_OPENCODE_BIN) or `opencode` is on PATH (a ~185 MB
 * install, not a dependency). The binary must live outside /tmp and be readable by the sandbox
 * user. Run: npm install --prefix /opt/agentdyno-agents opencode-ai; AGENTDYNO_OPENCODE_BIN=/opt/agentdyno-agents/node_modules/.bin/opencode
 * (.ci/run does this with pinned versions).
 */
import { describeAgentCli } from './agent-cli.js';

describeAgentCli({
  preset: 'opencode',
  binEnv: 'AGENTDYNO_OPENCODE_BIN',
  binName: 'opencode',
  toolCall: (cmd) => ({ name: 'bash', arguments: JSON.stringify({ command: cmd, description: 'Write solve.c' }) }),
  recordedMark: '"bash"',
  title: 'OpenCode edits solve.c through its bash tool; the loop scores it; the chat session is recorded',
});
