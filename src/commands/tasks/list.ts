import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand, errorMessage } from '../../core/index.js';
import { findTaskDirs, loadTask } from '../../loop/index.js';

interface Row {
  id: string;
  /** `harbor`: an AutoLab/Harbor task as-is (no [agentdyno] table; tests/test.sh is the verifier). */
  kind: string;
  domain: string;
  metric: string;
  direction: string;
  editable: string[];
  params: string[];
  requires: string[];
  description: string;
  error?: string;
}

export default class TasksList extends AgentdynoCommand {
  static override description = 'List the optimization tasks under a folder (AutoLab/Harbor layout: <domain>/<name>/task.toml).';
  static override examples = ['<%= config.bin %> tasks list', '<%= config.bin %> tasks list tasks/ --json'];
  static override args = { dir: Args.string({ description: 'Folder holding the tasks.', default: 'tasks' }) };
  static override flags = { domain: Flags.string({ description: 'Only this domain (kernel, system, puzzle, model).' }) };

  async run(): Promise<{ tasks: Row[] }> {
    const { args, flags } = await this.parse(TasksList);
    const tasks: Row[] = [];
    for (const d of findTaskDirs(args.dir)) {
      try {
        const t = loadTask(d);
        if (flags.domain && t.domain !== flags.domain) continue;
        tasks.push({ id: t.id, kind: t.kind, domain: t.domain, metric: t.metric, direction: t.direction, editable: t.editable, params: Object.keys(t.params), requires: t.requires, description: t.metadata.description ?? '' });
      } catch (e) {
        tasks.push({ id: d, kind: '?', domain: '?', metric: '', direction: '', editable: [], params: [], requires: [], description: '', error: errorMessage(e) });
      }
    }
    if (!this.jsonEnabled()) {
      for (const t of tasks) this.log(t.error ? `${t.id}  INVALID: ${t.error}` : `${t.id.padEnd(28)} ${`${t.metric} (${t.direction})`.padEnd(22)} ${t.kind === 'harbor' ? '[harbor] ' : ''}${t.description}`);
      if (tasks.length === 0) this.log(`no tasks under ${args.dir}`);
    }
    return { tasks };
  }
}
