import { Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { startSimServer, type SimServerOptions } from '../../sim/index.js';
import { loadTrajectories } from '../../trajectory/index.js';

export default class SimServe extends AgentdynoCommand {
  static override description =
    'Run the simulated OpenAI-compatible inference server (illustrative, not a real model) until Ctrl-C. Switches emulate real servers\' SSE habits and faults so clients can be tested on them.';
  static override examples = [
    '<%= config.bin %> sim serve --port 8000',
    '<%= config.bin %> sim serve --port 0 --profile h100-illustrative',
    '<%= config.bin %> sim serve --port 8000 --tokens-per-chunk 4 --role-chunk --crlf --ping-ms 500',
    '<%= config.bin %> sim serve --port 8000 --reset-prob 0.05 --rate-limit-prob 0.02 --seed 7',
    '<%= config.bin %> sim serve --port 8000 --script session.jsonl --script-time-scale 0',
  ];
  static override flags = {
    port: Flags.integer({ description: 'TCP port (0 = a free one).', default: 8000 }),
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1' }),
    profile: Flags.string({ description: 'Profile name (see `agentdyno sim profiles`) or a YAML path.', default: 'small' }),
    seed: Flags.integer({ description: 'Seed for EOS and fault draws.', default: 42 }),
    'tokens-per-chunk': Flags.integer({ description: 'Output tokens per SSE chunk.', default: 1 }),
    'role-chunk': Flags.boolean({ description: 'Send a role-only first chunk before prefill.' }),
    crlf: Flags.boolean({ description: 'CRLF line endings.' }),
    'data-no-space': Flags.boolean({ description: 'Write "data:" without the space.' }),
    'ping-ms': Flags.integer({ description: 'Send ": ping" comment lines every N ms (0 = never).', default: 0 }),
    'stall-prob': Flags.string({ description: 'Probability that a stream pauses mid-way.' }),
    'stall-ms': Flags.integer({ description: 'Length of a stall in ms.', default: 1000 }),
    'reset-prob': Flags.string({ description: 'Probability of a connection reset mid-stream.' }),
    'rate-limit-prob': Flags.string({ description: 'Probability of a 429 with Retry-After.' }),
    'retry-after-s': Flags.integer({ description: 'Retry-After seconds on 429/503.', default: 1 }),
    'error500-prob': Flags.string({ description: 'Probability of a 500.' }),
    'error503-prob': Flags.string({ description: 'Probability of a 503 with Retry-After.' }),
    'malformed-prob': Flags.string({ description: 'Probability of a non-JSON data line mid-stream.' }),
    'early-close-prob': Flags.string({ description: 'Probability of ending a stream without [DONE].' }),
    'omit-usage': Flags.boolean({ description: 'Never send usage.' }),
    'ignore-max-tokens': Flags.string({ description: 'Generate past max_tokens: a factor > 1 (e.g. 1.5).' }),
    'reasoning-tokens': Flags.integer({ description: 'Reasoning tokens (delta.reasoning_content) before content.', default: 0 }),
    'tool-calls': Flags.boolean({ description: 'Answer with a streamed tool call whenever a request offers tools.' }),
    script: Flags.string({ description: 'Scripted playback: answer chat, Responses and Messages requests with the recorded assistant turns (text, tool calls, usage, timing) of this trajectory file (kept with content, e.g. agentdyno record --keep-content), matched by conversation position; a request that diverges gets HTTP 400 script_divergence naming the agent and turn.' }),
    'script-id': Flags.string({ description: 'With --script: the trajectory id to play (default: the first in the file).' }),
    'script-strict': Flags.boolean({ description: 'With --script: also require every earlier message (tool results included) to equal the recording.' }),
    'script-time-scale': Flags.string({ description: 'With --script: multiply recorded TTFT and duration (0 = answer at once).', default: '1' }),
    'strict-model': Flags.boolean({ description: 'Answer 404 when a request names a model other than the profile\'s served model name.' }),
  };

  async run(): Promise<{ url: string; port: number; profile: string; illustrative: true; source: string; stopped?: true }> {
    const { flags } = await this.parse(SimServe);
    const prob = (name: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!(n >= 0 && n <= 1)) this.error(`--${name} must be a probability between 0 and 1 (got "${v}")`, { exit: 2 });
      return n;
    };
    let ignoreMaxTokens: number | undefined;
    if (flags['ignore-max-tokens'] !== undefined) {
      ignoreMaxTokens = Number(flags['ignore-max-tokens']);
      if (!(ignoreMaxTokens > 1)) this.error(`--ignore-max-tokens must be a factor > 1 (got "${flags['ignore-max-tokens']}")`, { exit: 2 });
    }
    let script: SimServerOptions['script'];
    if (flags.script) {
      const all = loadTrajectories([flags.script]).map((l) => l.trajectory);
      script = flags['script-id'] ? all.find((t) => t.id === flags['script-id']) : all[0];
      if (!script) this.error(`--script-id ${flags['script-id']} is not in ${flags.script} (ids: ${all.map((t) => t.id).join(', ')})`, { exit: 2 });
    }
    const timeScale = Number(flags['script-time-scale']);
    if (!(timeScale >= 0)) this.error(`--script-time-scale must be >= 0 (got "${flags['script-time-scale']}")`, { exit: 2 });
    const opts: SimServerOptions = {
      script,
      scriptStrict: flags['script-strict'],
      scriptTimeScale: timeScale,
      port: flags.port,
      host: flags.host,
      profile: flags.profile,
      seed: flags.seed,
      tokensPerChunk: flags['tokens-per-chunk'],
      roleChunk: flags['role-chunk'],
      crlf: flags.crlf,
      dataNoSpace: flags['data-no-space'],
      pingMs: flags['ping-ms'],
      stallProb: prob('stall-prob', flags['stall-prob']),
      stallMs: flags['stall-ms'],
      resetProb: prob('reset-prob', flags['reset-prob']),
      rateLimitProb: prob('rate-limit-prob', flags['rate-limit-prob']),
      retryAfterS: flags['retry-after-s'],
      error500Prob: prob('error500-prob', flags['error500-prob']),
      error503Prob: prob('error503-prob', flags['error503-prob']),
      malformedProb: prob('malformed-prob', flags['malformed-prob']),
      earlyCloseProb: prob('early-close-prob', flags['early-close-prob']),
      omitUsage: flags['omit-usage'],
      ignoreMaxTokens,
      reasoningTokens: flags['reasoning-tokens'],
      toolCalls: flags['tool-calls'],
      strictModel: flags['strict-model'],
    };
    const srv = await startSimServer(opts);
    const result = { url: srv.url, port: srv.port, profile: srv.profile.name, illustrative: true as const, source: srv.profile.source };
    if (this.jsonEnabled()) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      this.log(`agentdyno simulated server listening on ${srv.url} (OpenAI-compatible: ${srv.url}/v1)`);
      this.log(`profile ${srv.profile.name} [ILLUSTRATIVE — simulated, not a real model or measurement]: model "${srv.profile.servedModelName}", max_model_len ${srv.profile.maxModelLen}`);
      this.log(`source: ${srv.profile.source}`);
      if (script) {
        const turns = script.agents.reduce((n, a) => n + a.steps.filter((st) => st.type === 'llm').length, 0);
        this.log(`SCRIPTED playback of trajectory ${script.id}: ${script.agents.length} agent(s), ${turns} recorded turn(s) answer chat, Responses and Messages requests by conversation position (${timeScale === 0 ? 'no waiting' : `recorded timing x${timeScale}`}${flags['script-strict'] ? ', strict' : ''}); the engine above is not used for them`);
      }
      this.log('Press Ctrl-C to stop.');
    }
    await new Promise<void>((resolveStop) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void srv.close().then(resolveStop);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return { ...result, stopped: true };
  }
}
