import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { hasSessionContent, loadEpisode, scoreEpisode, scoreSession, type EpisodeScore } from '../../efc/index.js';
import { loadTrajectories } from '../../trajectory/index.js';
import { AgentdynoError } from '../../core/index.js';
import { openStore } from '../../store/index.js';
import { renderTable } from '../../ui/index.js';

const f2 = (v: number) => v.toFixed(2);

export default class EfcScore extends AgentdynoCommand {
  static override description = 'Score every feedback event of a stored loop run on informativeness, validity, non-redundancy and retention, and sum EFC (our implementation of the EFC factorization).';
  static override examples = ['<%= config.bin %> efc score loop-20261123-121219-158e', '<%= config.bin %> efc score loop-20261123-121219-158e --json --db results/agentdyno.db'];
  static override args = { run: Args.string({ description: 'Loop run id (see `agentdyno results list`); or use --trajectories.' }) };
  static override flags = {
    db: Flags.string({ description: 'Results database (default AGENTDYNO_DB or results/agentdyno.db).' }),
    trajectories: Flags.string({ description: 'Score a real agent\'s session instead: a trajectory file kept with content (agentdyno record --keep-content, a command agent\'s trajectory.jsonl, or an import with messages); every tool result it received is a feedback event. Scores the first trajectory (or --id).' }),
    id: Flags.string({ description: 'With --trajectories: the trajectory id to score.' }),
  };

  async run() {
    const { args, flags } = await this.parse(EfcScore);
    let s: EpisodeScore;
    const store = flags.trajectories ? null : openStore(flags.db, { mustExist: true });
    try {
      if (flags.trajectories) {
        const all = loadTrajectories([flags.trajectories]).map((l) => l.trajectory);
        const t = flags.id ? all.find((x) => x.id === flags.id) : all[0];
        if (!t) throw new AgentdynoError(`no trajectory ${flags.id ?? ''} in the file`.replace('  ', ' '), { code: 'E_INPUT_INVALID', where: flags.trajectories, hint: `ids: ${all.map((x) => x.id).join(', ')}` });
        if (!hasSessionContent(t)) throw new AgentdynoError(`trajectory ${t.id} carries no request messages, so its feedback cannot be scored`, { code: 'E_INPUT_INVALID', where: flags.trajectories, hint: 'Record with --keep-content (or import with messages).' });
        s = scoreSession(t);
      } else {
        if (!args.run) throw new AgentdynoError('give a loop run id, or --trajectories FILE', { code: 'E_USAGE', where: 'efc score', hint: 'agentdyno efc score loop-… or agentdyno efc score --trajectories session.jsonl' });
        s = scoreEpisode(loadEpisode(store!, args.run));
      }
      if (!this.jsonEnabled()) {
        this.log(`${s.runId}  ${s.task}  agent ${s.agent}  feedback ${s.feedbackMode}  success ${s.success}`);
        this.log(renderTable(['iter', 'seq', 'kind', 'I', 'V', 'N', 'M', 'retry', 'EFC', 'why (V; M)'], s.events.map((e) => [e.iteration, e.seq, e.kind, f2(e.informativeness), f2(e.validity), f2(e.nonRedundancy), f2(e.retention), e.retryIndex, f2(e.efc), `${e.why.validity}; ${e.why.retention}`])));
        this.log(`EFC ${s.efc.toFixed(2)} over ${s.events.length} events; axis means I ${f2(s.axisMeans.informativeness)} V ${f2(s.axisMeans.validity)} N ${f2(s.axisMeans.nonRedundancy)} M ${f2(s.axisMeans.retention)}`);
        this.log(`raw compute: ${s.rawCompute.tokens} tokens, ${s.rawCompute.toolCalls} tool calls, ${s.rawCompute.wallSec.toFixed(1)} s wall; efficiency ${s.efficiency.perToolCall?.toFixed(2) ?? '-'} EFC/tool call, ${s.efficiency.perKTokens?.toFixed(2) ?? '-'} EFC/1k tokens, ${s.efficiency.perWallSec?.toFixed(2) ?? '-'} EFC/s`);
      }
      return { ...s, events: s.events.map((e) => ({ informativeness: e.informativeness, validity: e.validity, nonRedundancy: e.nonRedundancy, retention: e.retention, iteration: e.iteration, seq: e.seq, kind: e.kind, retryIndex: e.retryIndex, efc: e.efc, why: e.why })) };
    } finally {
      store?.close();
    }
  }
}
