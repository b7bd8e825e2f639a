/**
 * A third real agent CLI end to end: Claude Code (npm @anthropic-ai/claude-code, a native binary)
 * as the loop's proposer, inside bubblewrap, through the proxy (Anthropic Messages API), against
 * `sim --script`, with no network. Skipped unless a binary is given (AGENTDYNO_CLAUDE_BIN) or
 * `claude` is on PATH (a ~235 MB install, not a dependency). The binary must live outside /tmp.
 * Run: npm install --prefix /opt/agentdyno-agents @anthropic-ai/claude-code;
 * AGENTDYNO_CLAUDE_BIN=/opt/agentdyno-agents/node_modules/.bin/claude (.ci/run does this, pinned).
 */
import { describeAgentCli } from './agent-cli.js';

describeAgentCli({
  preset: 'claude-code',
  binEnv: 'AGENTDYNO_CLAUDE_BIN',
  binName: 'claude',
  toolCall: (cmd) => ({ name: 'Bash', arguments: JSON.stringify({ command: cmd, description: 'Rewrite solve.c' }) }),
  recordedMark: 'Bash',
  title: 'Claude Code edits solve.c through its Bash tool; the loop scores it; the Messages session is recorded',
});
