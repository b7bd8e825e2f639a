import { Flags } from '@oclif/core';
import { AgentdynoCommand, AgentdynoError } from '../../core/index.js';
import { startBudgetProxy, HANDLE_HEADER, SPLIT_HEADER } from '../../budget/index.js';

export default class BudgetProxy extends AgentdynoCommand {
  static override description =
    `OpenAI-compatible proxy that enforces an affine token budget for any framework: ${HANDLE_HEADER} names the sub-agent's handle (root, root/0, root/1/0...), ${SPLIT_HEADER}: 400,400 splits it (the response's x-agentdyno-budget-children names the children); max_tokens is clamped to what is left, and a spent budget is refused with HTTP 402 and an OpenAI-style error body. GET /v1/budget shows the ledger. Runs until Ctrl-C.`;
  static override examples = [
    '<%= config.bin %> budget proxy --upstream http://127.0.0.1:8000 --tokens 200000 --port 8100',
    '<%= config.bin %> budget proxy --upstream https://api.example.com/v1 --api-key-env EXAMPLE_API_KEY --tokens 50000 --port 0',
  ];
  static override flags = {
    upstream: Flags.string({ description: 'Base URL of the OpenAI-compatible server to forward to.', required: true }),
    tokens: Flags.integer({ description: 'Root budget in tokens (input + output).', required: true }),
    port: Flags.integer({ description: 'Port to listen on (0 = a free one).', default: 8100 }),
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1' }),
    'api-key-env': Flags.string({ description: 'Environment variable holding the upstream API key (never logged).' }),
  };

  async run(): Promise<{ url: string; upstream: string; tokens: number }> {
    const { flags } = await this.parse(BudgetProxy);
    if (flags.tokens < 0) throw new AgentdynoError(`--tokens must be a non-negative integer, got ${flags.tokens}.`, { code: 'E_USAGE', where: '--tokens' });
    let apiKey: string | undefined;
    if (flags['api-key-env']) {
      apiKey = process.env[flags['api-key-env']];
      if (!apiKey) throw new AgentdynoError(`environment variable ${flags['api-key-env']} is not set.`, { code: 'E_ENDPOINT_AUTH', where: '--api-key-env', hint: 'Export it, or drop --api-key-env for an upstream without auth.' });
    }
    const p = await startBudgetProxy({ upstream: flags.upstream, budget: { tokens: flags.tokens }, port: flags.port, host: flags.host, apiKey });
    const info = { url: p.url, upstream: flags.upstream, tokens: flags.tokens };
    if (this.jsonEnabled()) process.stdout.write(JSON.stringify(info) + '\n');
    else this.log(`budget proxy on ${p.url} -> ${flags.upstream}, ${flags.tokens} tokens (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
    const s = p.ledger.state;
    await p.close();
    if (!this.jsonEnabled()) this.log(`spent ${s.spent.tokens} of ${s.root.tokens} tokens`);
    return info;
  }
}
