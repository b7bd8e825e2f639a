import { Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { formatBudgetTree } from '../../budget/index.js';
import { AGENT_PRESETS, FEEDBACK_MODES, loadTask, resolveTaskDir, runTask, type AgentKind, type FeedbackMode, type SearchStrategy } from '../../loop/index.js';

export const loopFlags = {
  agent: Flags.string({ description: 'Who proposes: search (no model, over declared params), llm (OpenAI-compatible endpoint), scripted (JSON list), command (any agent CLI, run in the sandbox behind a recording + budget proxy).', options: ['search', 'llm', 'scripted', 'command'], default: 'search' }),
  'agent-cmd': Flags.string({ description: 'For --agent command: shell command run in the sandbox on the task workspace. It gets AGENTDYNO_PROMPT (instruction + last feedback), AGENTDYNO_PROMPT_FILE, and OPENAI_BASE_URL / OPENAI_API_BASE / ANTHROPIC_BASE_URL pointing at the agentdyno proxy (the only network the sandbox reaches); the editable files it changes are the proposal.' }),
  'agent-preset': Flags.string({ description: `For --agent command: a named agent CLI instead of --agent-cmd: ${Object.entries(AGENT_PRESETS).map(([k, v]) => `${k} (${v.note})`).join('; ')}. codex, opencode and claude-code run end to end in agentdyno's tests (offline, in bwrap, against sim --script) when their binaries are installed, and are skipped otherwise; mini-swe-agent is the documented invocation, not exercised (PyPI is not reachable where agentdyno is tested).`, options: Object.keys(AGENT_PRESETS) }),
  'subagent-share': Flags.string({ description: 'For --agent command: fraction of its parent\'s remaining budget a new sub-agent gets on its first call (affine split; the parent keeps the rest).', default: '0.25' }),
  script: Flags.string({ description: 'For --agent scripted: JSON array of steps ({"files":{...}}, {"params":{...}}, {"stop":true}).' }),
  strategy: Flags.string({ description: 'For --agent search.', options: ['coordinate', 'grid', 'random'], default: 'coordinate' }),
  target: Flags.string({ description: 'For --agent llm: base URL of an OpenAI-compatible API (…/v1). For --agent command: the model endpoint the proxy forwards to (chat, Responses or Messages).' }),
  model: Flags.string({ description: 'For --agent llm: model name.' }),
  'api-key-env': Flags.string({ description: 'For --agent llm: env var holding the API key.', default: 'OPENAI_API_KEY' }),
  'budget-tokens': Flags.integer({ description: 'Token budget (default: the task\'s token_budget).' }),
  'budget-wall': Flags.integer({ description: 'Wall budget in seconds (default: the task\'s wall_budget_sec).' }),
  iterations: Flags.integer({ description: 'Iteration cap.', default: 20 }),
  feedback: Flags.string({ description: 'What the agent is shown (EFC experiments): rich, terse, noisy, stale, delayed.', options: [...FEEDBACK_MODES], default: 'rich' }),
  'unsafe-no-sandbox': Flags.boolean({ description: 'Run proposals without bubblewrap (only on a throwaway machine).' }),
  seed: Flags.integer({ description: 'Seed (search draws, bootstrap, injected noise).', default: 1 }),
  db: Flags.string({ description: 'Results database (default AGENTDYNO_DB or results/agentdyno.db).' }),
  root: Flags.string({ description: 'Folder holding the tasks.', default: 'tasks' }),
};

export function optionsFrom(flags: Record<string, unknown>) {
  return {
    agent: {
      kind: flags.agent as AgentKind,
      script: flags.script as string | undefined,
      strategy: flags.strategy as SearchStrategy,
      llm: { target: flags.target as string | undefined, model: flags.model as string | undefined, apiKeyEnv: flags['api-key-env'] as string },
      command: { cmd: flags['agent-cmd'] as string | undefined, preset: flags['agent-preset'] as string | undefined, subagentShare: Number(flags['subagent-share'] ?? 0.25) },
    },
    budgets: { tokens: flags['budget-tokens'] as number | undefined, wallSec: flags['budget-wall'] as number | undefined, iterations: flags.iterations as number },
    feedback: flags.feedback as FeedbackMode,
    unsafeNoSandbox: Boolean(flags['unsafe-no-sandbox']),
    seed: flags.seed as number,
    db: flags.db as string | undefined,
  };
}

export default class LoopRun extends AgentdynoCommand {
  static override description = 'Run a propose→run→measure loop on one task under a token/wall/iteration budget; every iteration and the exact feedback shown are stored.';
  static override examples = [
    '<%= config.bin %> loop run --task kernel/matmul-c --agent search --iterations 6',
    '<%= config.bin %> loop run --task puzzle/collatz-c --agent llm --target http://127.0.0.1:8000/v1 --model qwen3 --budget-tokens 50000 --json',
    '<%= config.bin %> loop run --task kernel/matmul-c --agent scripted --script steps.json --feedback terse',
  ];
  static override flags = { task: Flags.string({ description: 'Task id (domain/name) or folder.', required: true }), ...loopFlags };

  async run() {
    const { flags } = await this.parse(LoopRun);
    const task = loadTask(resolveTaskDir(flags.task, flags.root));
    const quiet = this.jsonEnabled();
    const r = await runTask(task, {
      ...optionsFrom(flags),
      // One line per iteration: status and, when it failed, why (the verifier's own reason for Harbor tasks).
      onIteration: (it) => {
        if (quiet || it.status === 'stop') return;
        const e = it.evaluation;
        const why = e?.status === 'unconfirmed' ? (e.unconfirmed ?? []).join('; ') : e?.reason ?? '';
        const pr = it.measurement?.paired?.speedup;
        const val = it.measurement ? ` ${task.metric} ${it.measurement.median.toPrecision(4)}${pr ? ` (${pr.median.toFixed(2)}x the baseline run beside it, 95% CI ${pr.ciLow.toFixed(2)}-${pr.ciHigh.toFixed(2)})` : ''}` : '';
        const stderr = e && e.status !== 'ok' ? e.steps.find((st) => st.failure)?.output.split('\n').slice(-3).join(' | ') : '';
        this.log(`iteration ${it.iteration}: ${it.status}${val}${it.improved ? ' (improved)' : ''}${why ? `: ${why}` : ''}${stderr ? `\n  output: ${stderr.slice(0, 300)}` : ''}`);
      },
    });
    const out = {
      runId: r.runId,
      task: r.task,
      success: r.success,
      normalizedScore: r.normalizedScore,
      reward: r.reward,
      iterations: r.iterations,
      budgetUsed: r.budgetUsed,
      stoppedEarly: r.stoppedEarly,
      noProgressBurn: r.noProgressBurn,
      stopReason: r.stopReason,
      sandbox: r.sandbox,
      sandboxLimits: r.sandboxLimits,
      baseline: r.baseline.measured?.median ?? null,
      best: r.bestValue,
      bestIteration: r.bestIteration,
      timeToFirstImprovement: r.timeToFirstImprovement,
      review: r.review,
      unconfirmed: r.unconfirmed,
      fastP: r.fastP,
      failureCounts: r.failureCounts,
      curve: r.curve,
      scoreLog: r.scoreLog,
      budgetTree: r.budgetTree,
      budgetStop: r.budgetStop,
      ...(r.trajectory ? { trajectory: r.trajectory } : {}),
    };
    if (!this.jsonEnabled()) {
      this.log(`${r.task}  run ${r.runId}  sandbox ${r.sandbox}`);
      this.log(`sandbox limits: ${r.sandboxLimits}`);
      if (r.unconfirmed.length) this.log(`unconfirmed (kept for review, not counted): ${r.unconfirmed.map((u) => `iteration ${u.iteration}: ${u.reasons.join('; ')}`).join(' | ')}`);
      this.log(`baseline ${out.baseline?.toPrecision(4)}  best ${out.best?.toPrecision(4) ?? '-'} (iteration ${out.bestIteration ?? '-'})  normalized ${r.normalizedScore.toFixed(3)}  reward ${r.reward.toFixed(3)}  success ${r.success}`);
      this.log(`iterations ${r.iterations}  stop ${r.stopReason}${r.budgetStop ? ` (${r.budgetStop})` : r.agentStopReason ? ` (${r.agentStopReason})` : ''}  tokens ${r.budgetUsed.tokens}  wall ${r.budgetUsed.wallSec}s  stoppedEarly ${r.stoppedEarly}  noProgressBurn ${r.noProgressBurn}`);
      if (Object.keys(r.failureCounts).length) this.log(`failures ${JSON.stringify(r.failureCounts)}`);
      if (r.budgetTree) for (const l of formatBudgetTree(r.budgetTree)) this.log(l);
      if (r.trajectory) this.log(`trajectory ${r.trajectory} (replay it: agentdyno sweep --trajectories ${r.trajectory})`);
    }
    return out;
  }
}
