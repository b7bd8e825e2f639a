import { Flags } from '@oclif/core';
import { AgentdynoCommand, AgentdynoError } from '../../core/index.js';
import { startBudgetProxy, parseUpstream, HANDLE_HEADER, SPLIT_HEADER } from '../../budget/index.js';

export default class BudgetProxy extends AgentdynoCommand {
  static override description =
    `OpenAI-compatible proxy that enforces an affine token budget for any framework: ${HANDLE_HEADER} names the sub-agent's handle (root, root/0, root/1/0...), ${SPLIT_HEADER}: 400,400 splits it (the response's x-agentdyno-budget-children names the children); max_tokens is clamped to what is left, every call reserves its worst case (n x max tokens, tool and output schemas, batch prompts) and a call that does not fit waits for calls in flight or gets a retry-able 429; HTTP 402 only when committed spend leaves no room. Chat completions, completions, Responses, Anthropic Messages and embeddings are budgeted. GET /v1/budget shows the ledger. Runs until Ctrl-C.`;
  static override examples = [
    '<%= config.bin %> budget proxy --upstream http://127.0.0.1:8000 --tokens 200000 --port 8100',
    '<%= config.bin %> budget proxy --upstream https://api.example.com/v1 --api-key-env EXAMPLE_API_KEY --tokens 50000 --port 0',
  ];
  static override flags = {
    upstream: Flags.string({ description: 'Base URL of the OpenAI-compatible server to forward to.', required: true }),
    tokens: Flags.integer({ description: 'Root budget in tokens (input + output).', required: true }),
    port: Flags.integer({ description: 'Port to listen on (0 = a free one).', default: 8100 }),
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1' }),
    'api-key-env': Flags.string({ description: 'Environment variable holding the upstream API key (never logged; echoes of it are masked in responses). Without it the client\'s own Authorization / x-api-key is forwarded.' }),
    'queue-ms': Flags.integer({ description: 'How long a call that does not fit waits for calls in flight to settle before it runs clamped or gets a retry-able 429.', default: 30_000, min: 0 }),
    'image-tokens': Flags.integer({ description: 'Tokens to reserve per image part; without it requests carrying images are refused as unbounded.', min: 0 }),
    estimate: Flags.string({ description: 'Prompt estimate: tokenizer (o200k x 1.25 + template overhead) or bytes (UTF-8 bytes: a hard upper bound for byte-level BPE tokenizers).', options: ['tokenizer', 'bytes'], default: 'tokenizer' }),
    'pass-through': Flags.string({ description: 'Extra POST path to forward unbudgeted (repeatable), e.g. a vendor\'s free token-count route.', multiple: true }),
  };

  async run(): Promise<{ url: string; upstream: string; tokens: number }> {
    const { flags } = await this.parse(BudgetProxy);
    if (flags.tokens < 0) throw new AgentdynoError(`--tokens must be a non-negative integer, got ${flags.tokens}.`, { code: 'E_USAGE', where: '--tokens' });
    parseUpstream(flags.upstream); // a bad --upstream is a usage error before anything else
    let apiKey: string | undefined;
    if (flags['api-key-env']) {
      apiKey = process.env[flags['api-key-env']];
      if (!apiKey) throw new AgentdynoError(`environment variable ${flags['api-key-env']} is not set.`, { code: 'E_ENDPOINT_AUTH', where: '--api-key-env', hint: 'Export it, or drop --api-key-env for an upstream without auth.' });
    }
    const p = await startBudgetProxy({
      upstream: flags.upstream, budget: { tokens: flags.tokens }, port: flags.port, host: flags.host, apiKey,
      queueMs: flags['queue-ms'], imageTokens: flags['image-tokens'], estimator: { method: flags.estimate as 'tokenizer' | 'bytes' }, passThrough: flags['pass-through'],
    });
    const info = { url: p.url, upstream: p.upstream, tokens: flags.tokens };
    if (this.jsonEnabled()) process.stdout.write(JSON.stringify(info) + '\n');
    else this.log(`budget proxy on ${p.url} -> ${p.upstream}, ${flags.tokens} tokens (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
    const s = p.ledger.state;
    await p.close();
    if (!this.jsonEnabled()) this.log(`spent ${s.spent.tokens} of ${s.root.tokens} tokens${s.overrun.tokens ? ` (over the cap by ${s.overrun.tokens}: the upstream counted more than the worst case reserved)` : ''}`);
    return info;
  }
}
