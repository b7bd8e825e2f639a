import { Flags } from '@oclif/core';
import { AgentdynoCommand, AgentdynoError, checkOutputPath } from '../core/index.js';
import { startRecordingProxy } from '../record/index.js';

export default class Record extends AgentdynoCommand {
  static override description =
    'Record real agent traffic: an OpenAI-compatible pass-through proxy. Point the agent\'s base URL at it; each chat call\'s tokens (from usage), ' +
    'timings and tool gaps are captured and agents / sub-agents are rebuilt from the conversations (or from nvext.agent_context ids). ' +
    'Writes agentdyno.trajectory.v1 to --out periodically and on Ctrl-C. Message content is stored only with --keep-content; API keys and auth headers never are.';
  static override examples = [
    '<%= config.bin %> record --upstream http://127.0.0.1:8000/v1 --port 9000 --out recorded.jsonl',
    'OPENAI_BASE_URL=http://127.0.0.1:9000/v1 my-agent …   # in another shell',
  ];
  static override flags = {
    upstream: Flags.string({ description: 'the real OpenAI-compatible endpoint (e.g. http://host:8000/v1)', required: true }),
    port: Flags.integer({ description: 'port to listen on (127.0.0.1)', default: 9000, min: 0, max: 65535 }),
    host: Flags.string({ description: 'address to listen on', default: '127.0.0.1' }),
    out: Flags.string({ description: 'output trajectory file (.jsonl)', required: true }),
    'keep-content': Flags.boolean({ description: 'also store request messages and responses', default: false }),
    'flush-s': Flags.integer({ description: 'rewrite --out every N seconds (0 = only on exit)', default: 10, min: 0 }),
    force: Flags.boolean({ description: 'replace --out if it exists', default: false }),
  };

  async run(): Promise<{ out: string; calls: number; trajectories: number }> {
    const { flags } = await this.parse(Record);
    try {
      new URL(flags.upstream);
    } catch {
      throw new AgentdynoError(`not a URL: ${flags.upstream}`, { code: 'E_USAGE', where: '--upstream', hint: 'Give the endpoint as http://host:port/v1.' });
    }
    checkOutputPath(flags.out, { force: flags.force });
    let proxy;
    try {
      proxy = await startRecordingProxy({ upstream: flags.upstream, port: flags.port, host: flags.host, out: flags.out, keepContent: flags['keep-content'], flushMs: flags['flush-s'] * 1000 });
    } catch (e) {
      throw new AgentdynoError(`cannot listen on ${flags.host}:${flags.port}: ${(e as Error).message}`, { code: 'E_USAGE', where: '--port', hint: 'Pick a free port.' });
    }
    if (!this.jsonEnabled()) this.log(`recording: point the agent at ${proxy.url}/v1 (upstream ${flags.upstream}); Ctrl-C to stop and write ${flags.out}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await proxy.close();
    const trajectories = proxy.recorder.trajectories().length;
    if (!this.jsonEnabled()) this.log(`wrote ${trajectories} trajector${trajectories === 1 ? 'y' : 'ies'} (${proxy.recorder.calls.length} calls) to ${flags.out}`);
    return { out: flags.out, calls: proxy.recorder.calls.length, trajectories };
  }
}
