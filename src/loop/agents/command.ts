/**
 * Any agent CLI as the loop's proposer (`loop run --agent command --agent-cmd '…'`, Harbor-style).
 * Each iteration the command runs inside the sandbox on a fresh copy of the agent's working view
 * of the workspace, told the task instruction and the last feedback (AGENTDYNO_PROMPT and the file
 * AGENTDYNO_PROMPT_FILE). Its model traffic goes to an agentdyno proxy that records the trajectory
 * (chat, Responses or Messages) and holds it and every sub-agent it spawns to one affine budget
 * tree; the editable files it changed are the proposal, which the loop builds, checks and measures.
 *
 * Network: the sandbox keeps its own network namespace (no route out, loopback only). The proxy
 * listens on a Unix socket bound into the sandbox, and a forwarder inside the sandbox (fwd.mjs)
 * serves 127.0.0.1:PORT there by piping each connection to that socket, so the agent's base URL
 * works and nothing else is reachable. Without bubblewrap (`--unsafe-no-sandbox`) the agent runs
 * on the host network and the proxy is only the default route, not the only one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentBudgetTree, formatBudgetTree, type AgentBudgetTreeReport } from '../../budget/index.js';
import { AgentdynoError } from '../../core/index.js';
import { startRecordingProxy, type RecordingProxy } from '../../record/index.js';
import type { Agent, AgentTurn, TurnContext } from '../agent.js';
import { agentToolBinds, runStep, type SandboxMode } from '../sandbox.js';
import { isEditable, listFiles, safeRel } from '../workspace.js';
import { BudgetGate } from './command-gate.js';
import type { NormalizedRequest } from '../../endpoint/index.js';

/** Named agent CLIs with the environment variables their docs name for a custom endpoint. */
export const AGENT_PRESETS: Record<string, { cmd: string; note: string }> = {
  // OpenCode reads a custom endpoint from its config: an @ai-sdk/openai-compatible provider, which
  // OpenCode bundles (no package install at run time); models.dev and auto-update lookups are off.
  opencode: {
    cmd: 'mkdir -p /tmp/agentdyno-opencode && printf \'%s\' \'{"autoupdate":false,"share":"disabled","model":"agentdyno/\'"$AGENTDYNO_MODEL"\'","provider":{"agentdyno":{"npm":"@ai-sdk/openai-compatible","name":"agentdyno proxy","options":{"baseURL":"{env:OPENAI_BASE_URL}","apiKey":"{env:OPENAI_API_KEY}"},"models":{"\'"$AGENTDYNO_MODEL"\'":{"name":"\'"$AGENTDYNO_MODEL"\'","tool_call":true}}}}}\' > /tmp/agentdyno-opencode/opencode.json && OPENCODE_CONFIG=/tmp/agentdyno-opencode/opencode.json OPENCODE_DISABLE_MODELS_FETCH=1 OPENCODE_DISABLE_AUTOUPDATE=1 OPENCODE_DISABLE_LSP_DOWNLOAD=1 XDG_DATA_HOME=/tmp/agentdyno-opencode/data XDG_CACHE_HOME=/tmp/agentdyno-opencode/cache XDG_CONFIG_HOME=/tmp/agentdyno-opencode/config XDG_STATE_HOME=/tmp/agentdyno-opencode/state "${AGENTDYNO_OPENCODE_BIN:-opencode}" run "$AGENTDYNO_PROMPT"',
    note: 'OpenCode (npm opencode-ai; run offline against sim --script in agentdyno\'s tests): a custom provider on chat completions at the proxy through OpenCode\'s bundled @ai-sdk/openai-compatible (no run-time package install), models.dev fetch and auto-update off',
  },
  // Codex CLI ignores OPENAI_BASE_URL for its built-in provider: a custom provider on the Responses API.
  codex: {
    cmd: '"${AGENTDYNO_CODEX_BIN:-codex}" exec --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox --ephemeral -m "$AGENTDYNO_MODEL" -c model_provider=agentdyno -c "model_providers.agentdyno={name=\\"agentdyno\\",base_url=\\"$OPENAI_BASE_URL\\",env_key=\\"OPENAI_API_KEY\\",wire_api=\\"responses\\"}" "$AGENTDYNO_PROMPT"',
    note: 'Codex CLI (npm @openai/codex; run offline against sim --script in agentdyno\'s tests): a custom model provider on the Responses API at the proxy; its own sandbox is bypassed (it runs inside ours)',
  },
  // Claude Code reads ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY; its own home in the sandbox's /tmp,
  // non-essential traffic (telemetry, update checks) off; IS_SANDBOX=1 says what is true here (it
  // runs inside agentdyno's bubblewrap) so --dangerously-skip-permissions is accepted.
  'claude-code': {
    cmd: 'mkdir -p /tmp/agentdyno-claude && HOME=/tmp/agentdyno-claude IS_SANDBOX=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 "${AGENTDYNO_CLAUDE_BIN:-claude}" -p "$AGENTDYNO_PROMPT" --dangerously-skip-permissions --model "$AGENTDYNO_MODEL"',
    note: 'Claude Code (npm @anthropic-ai/claude-code; run offline against sim --script in agentdyno\'s tests): Messages API at ANTHROPIC_BASE_URL (the proxy), non-essential traffic off',
  },
  'mini-swe-agent': { cmd: 'mini -y -t "$AGENTDYNO_PROMPT"', note: 'mini-swe-agent (pip mini-swe-agent; NOT exercised: PyPI is not reachable where agentdyno is tested): litellm reads OPENAI_API_BASE' },
};

export interface CommandAgentOptions {
  /** Shell command (run with sh -c in the workspace); or a preset name via `preset`. */
  cmd?: string;
  preset?: string;
  /** The model endpoint the proxy forwards to (root or …/v1). */
  upstream: string;
  model?: string;
  /** Env var holding the upstream key, handed to the agent as OPENAI_API_KEY / ANTHROPIC_API_KEY. */
  apiKeyEnv?: string;
  /** The loop's token budget: the root of the budget tree. */
  budgetTokens: number;
  sandbox: SandboxMode;
  /** Where the recorded trajectory goes (JSONL). */
  trajectoryOut?: string;
  keepContent?: boolean;
  /** Wall limit of one agent run (s). */
  timeoutSec?: number;
  /** The loop's budget tree to spend from (runTask passes the loop's); default: a new one over budgetTokens. */
  tree?: AgentBudgetTree;
  /** Share of its parent's available budget a new sub-agent gets (default 0.25). */
  subagentShare?: number;
  /** Extra environment for the agent (e.g. AGENTDYNO_FANOUT for tests). */
  env?: Record<string, string>;
}

// Runs inside the sandbox: serve 127.0.0.1:PORT by piping to the proxy's socket, run the agent, exit with its code.
const FORWARDER = `import net from 'node:net';
import { spawn } from 'node:child_process';
const [sock, port, ...cmd] = process.argv.slice(2);
const srv = net.createServer((c) => { const u = net.connect(sock); c.pipe(u); u.pipe(c); u.on('error', () => c.destroy()); c.on('error', () => u.destroy()); });
srv.listen(Number(port), '127.0.0.1', () => {
  const ch = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit' });
  ch.on('exit', (code, sig) => { srv.close(); process.exit(code ?? (sig ? 128 : 1)); });
});
`;

const NET_DIR = '/tmp/agentdyno-net';
const PORT = 18080;

export class CommandAgent implements Agent {
  readonly name: string;
  readonly tree: AgentBudgetTree;
  private readonly gate: BudgetGate;
  private proxy: RecordingProxy | null = null;
  private readonly dir: string;
  private readonly cmd: string;
  /** The start of the task instruction, as the main agent's conversation carries it. */
  private promptHead = '';
  private iteration = 0;

  constructor(private readonly o: CommandAgentOptions) {
    const preset = o.preset ? AGENT_PRESETS[o.preset] : undefined;
    if (o.preset && !preset) throw new AgentdynoError(`unknown agent preset "${o.preset}"`, { code: 'E_USAGE', where: '--agent-preset', hint: `Presets: ${Object.keys(AGENT_PRESETS).join(', ')}; or give --agent-cmd.` });
    const cmd = o.cmd ?? preset?.cmd;
    if (!cmd) throw new AgentdynoError('the command agent needs --agent-cmd \'…\' or --agent-preset NAME.', { code: 'E_USAGE', where: '--agent-cmd', hint: `Presets: ${Object.keys(AGENT_PRESETS).join(', ')}.` });
    this.cmd = cmd;
    this.name = o.preset ? `command:${o.preset}` : 'command';
    this.tree = o.tree ?? new AgentBudgetTree({ tokens: Math.max(0, o.budgetTokens) }, { subagentShare: o.subagentShare });
    this.gate = new BudgetGate(this.tree);
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-agent-'));
    fs.chmodSync(this.dir, 0o755);
  }

  private async ensureProxy(): Promise<void> {
    if (this.proxy) return;
    const sock = path.join(this.dir, 'proxy.sock');
    // The main agent's conversation is the one that carries the task prompt; any other opening is a sub-agent.
    const isMainAgent = (n: NormalizedRequest) => n.messages.some((m) => m.role === 'user' && typeof m.content === 'string' && this.promptHead !== '' && m.content.includes(this.promptHead));
    this.proxy = await startRecordingProxy({ upstream: this.o.upstream, socketPath: sock, gate: this.gate, isMainAgent, workflow: () => `iteration-${this.iteration}`, keepContent: this.o.keepContent ?? true, out: this.o.trajectoryOut, flushMs: 0 });
    fs.chmodSync(sock, 0o777); // the sandbox user (nobody, when we run as root) must reach it
    fs.writeFileSync(path.join(this.dir, 'fwd.mjs'), FORWARDER);
  }

  budgetReport(): AgentBudgetTreeReport {
    return this.tree.report();
  }

  async propose(ctx: TurnContext): Promise<AgentTurn> {
    this.promptHead = ctx.task.instruction.trim().slice(0, 200);
    this.iteration = ctx.iteration;
    await this.ensureProxy();
    this.gate.beginIteration();
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-agentws-'));
    const before = new Map<string, string>();
    try {
      for (const rel of ctx.task.files) {
        const c = ctx.readFile(rel);
        if (c === null) continue;
        fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
        fs.writeFileSync(path.join(ws, rel), c);
        before.set(rel, c);
      }
      const prompt = `${ctx.task.instruction}\n\nEditable files: ${ctx.task.editable.join(', ') || '(none)'}\nMetric: ${ctx.task.metric} (${ctx.task.direction} is better)\n\n${ctx.feedback}\n`;
      fs.writeFileSync(path.join(this.dir, 'prompt.md'), prompt);
      const sandboxed = this.o.sandbox === 'bwrap';
      if (sandboxed && typeof process.getuid === 'function' && process.getuid() === 0) {
        fs.chownSync(ws, 65534, 65534);
        for (const rel of listFiles(ws)) fs.chownSync(path.join(ws, rel), 65534, 65534);
      }
      const netDir = sandboxed ? NET_DIR : this.dir;
      const base = `http://127.0.0.1:${sandboxed ? PORT : 0}`;
      const key = this.o.apiKeyEnv ? process.env[this.o.apiKeyEnv] : undefined;
      const env: Record<string, string> = {
        AGENTDYNO_PROMPT: prompt.length > 100_000 ? prompt.slice(-100_000) : prompt,
        AGENTDYNO_PROMPT_FILE: `${netDir}/prompt.md`,
        AGENTDYNO_ITERATION: String(ctx.iteration),
        AGENTDYNO_TOKENS_LEFT: String(this.tree.available()),
        AGENTDYNO_MODEL: this.o.model ?? 'default',
        OPENAI_BASE_URL: `${base}/v1`,
        OPENAI_API_BASE: `${base}/v1`,
        ANTHROPIC_BASE_URL: base,
        OPENAI_API_KEY: key ?? 'agentdyno-proxy',
        ANTHROPIC_API_KEY: key ?? 'agentdyno-proxy',
        NODE_PATH: process.env.NODE_PATH ?? '',
        ...this.o.env,
      };
      let command = this.cmd;
      if (sandboxed) {
        // The forwarder owns 127.0.0.1:PORT inside the sandbox and runs the agent as its child.
        command = `exec ${JSON.stringify(process.execPath)} ${NET_DIR}/fwd.mjs ${NET_DIR}/proxy.sock ${PORT} sh -c ${shellQuote(this.cmd)}`;
      } else {
        // No sandbox: a TCP listener for the agent (host network: not isolated).
        const tcp = await this.hostPort();
        env.OPENAI_BASE_URL = `http://127.0.0.1:${tcp}/v1`;
        env.OPENAI_API_BASE = env.OPENAI_BASE_URL;
        env.ANTHROPIC_BASE_URL = `http://127.0.0.1:${tcp}`;
      }
      const wallSec = Math.max(1, Math.min(this.o.timeoutSec ?? 600, Math.floor(ctx.remaining.wallSec) || 1));
      const r = await runStep(command, ws, {
        phase: 'build',
        sandbox: this.o.sandbox,
        env,
        // The sandbox binds system folders only: add the CLI's own files (node_modules, its script).
        binds: sandboxed ? [{ src: this.dir, dest: NET_DIR }, ...agentToolBinds(this.cmd, process.cwd(), this.o.env ?? {})] : [],
        // A JavaScript agent reserves far more address space than it uses (V8 cages): cap memory loosely.
        limits: { wallSec, memoryMb: 16_384, nproc: 512, outputBytes: 4 << 20 },
      });
      this.tree.endIteration();
      this.proxy!.flush();
      const files: Record<string, string> = {};
      const ignored: string[] = [];
      for (const rel of listFiles(ws)) {
        const c = fs.readFileSync(path.join(ws, rel), 'utf8');
        if (before.get(rel) === c) continue;
        const safe = safeRel(rel);
        if (safe && isEditable(safe, ctx.task.editable)) files[safe] = c;
        else ignored.push(rel);
      }
      const tokensIn = this.gate.iterationTokens.in;
      const tokensOut = this.gate.iterationTokens.out;
      const log = {
        command: this.cmd,
        exitCode: r.exitCode,
        timedOut: r.timedOut,
        stdoutTail: r.stdout.slice(-2000),
        stderrTail: r.stderr.slice(-2000),
        modelCalls: this.gate.log.calls,
        budgetSpent: this.gate.spent,
        ignoredFiles: ignored,
        budgetTree: this.tree.report(),
      };
      if (Object.keys(files).length === 0) {
        const why = this.gate.spent ?? (r.timedOut ? `agent command timed out after ${wallSec} s` : `agent command changed no editable file (exit ${r.exitCode ?? r.signal})`);
        return { proposal: { kind: 'stop', reason: why }, tokensIn, tokensOut, log };
      }
      return { proposal: { kind: 'change', files, note: this.gate.spent ? `stopped by the budget: ${this.gate.spent}` : undefined }, tokensIn, tokensOut, log };
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  }

  private hostListener: import('node:net').Server | null = null;
  /** Unsafe mode: a loopback TCP port piped to the proxy's socket. */
  private async hostPort(): Promise<number> {
    const net = await import('node:net');
    if (!this.hostListener) {
      const sock = path.join(this.dir, 'proxy.sock');
      this.hostListener = net.createServer((c) => {
        const u = net.connect(sock);
        c.pipe(u);
        u.pipe(c);
        u.on('error', () => c.destroy());
        c.on('error', () => u.destroy());
      });
      await new Promise<void>((r) => this.hostListener!.listen(0, '127.0.0.1', r));
    }
    return (this.hostListener.address() as import('node:net').AddressInfo).port;
  }

  /** The budget tree as lines (for the CLI). */
  budgetLines(): string[] {
    return formatBudgetTree(this.tree.report());
  }

  async close(): Promise<void> {
    this.hostListener?.close();
    await this.proxy?.close();
    this.proxy = null;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
