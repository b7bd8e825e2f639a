import { Command } from '@oclif/core';
import { AgentdynoError } from './errors.js';
import { guardConsole, registerSecretsFrom } from './secrets.js';

/**
 * Base for every agentdyno command: `--json` comes from oclif's json flag (the value `run()` returns
 * is printed as one JSON object), and an `AgentdynoError` becomes a one-paragraph message on stderr
 * with its exit code instead of a stack trace. Before anything runs, the secrets the command line
 * brings (keys named by `--*-env`, URL credentials) are registered and the console is guarded, so
 * no output of the command can print them.
 */
export abstract class AgentdynoCommand extends Command {
  static override enableJsonFlag = true;

  override async init(): Promise<void> {
    registerSecretsFrom(this.argv);
    guardConsole();
    await super.init();
  }

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
