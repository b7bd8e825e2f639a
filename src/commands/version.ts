import { AgentdynoCommand } from '../core/index.js';

export default class Version extends AgentdynoCommand {
  static override description = 'Print the agentdyno version.';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json'];
  async run(): Promise<{ version: string }> {
    const version = this.config.version;
    if (!this.jsonEnabled()) this.log(`agentdyno ${version}`);
    return { version };
  }
}
