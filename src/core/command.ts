import { Command } from '@oclif/core';
import { AgentdynoError } from './errors.js';

/**
 * Base for every agentdyno command: `--json` comes from oclif's json flag (the value `run()` returns
 * is printed as one JSON object), and an `AgentdynoError` becomes a one-paragraph message on stderr
 * with its exit code instead of a stack trace.
 */
export abstract class AgentdynoCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof AgentdynoError) {
      if (this.jsonEnabled()) {
        process.stdout.write(JSON.stringify({ error: { code: err.code, message: err.message, where: err.where ?? null, hint: err.hint ?? null } }) + '\n');
      } else {
        process.stderr.write(`Error [${err.code}]: ${err.message}\n`);
      }
      process.exitCode = err.exitCode;
      // oclif's exit error unwinds without printing anything more.
      return this.exit(err.exitCode);
    }
    return super.catch(err);
  }
}
