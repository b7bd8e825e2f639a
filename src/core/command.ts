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
    // oclif's own flag/argument parse errors become E_USAGE like ours (a code, one paragraph, no usage dump).
    if (!(err instanceof AgentdynoError) && isParseError(err)) err = usageError(err);
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

/** oclif parser failures (bad flag value, missing required flag, unknown flag, bad option) carry `parse`. */
function isParseError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  // A flag's own parse function failing ("Expected an integer") is rethrown with this prefix.
  return ('parse' in err && (err as { oclif?: { exit?: number } }).oclif?.exit === 2) || /^Parsing --[\w-]+ \n/.test(err.message);
}

function usageError(err: Error): AgentdynoError {
  const lines = err.message.split('\n').map((l) => l.trim()).filter((l) => l && !/^See more help/.test(l) && !/^The following error/.test(l));
  const text = lines.join('\n');
  const flag = /--[a-z][a-z0-9-]*/i.exec(text)?.[0] ?? (/flag ([a-z][a-z0-9-]*)/i.exec(text)?.[1] ? `--${/flag ([a-z][a-z0-9-]*)/i.exec(text)![1]}` : undefined);
  return new AgentdynoError(lines.join(' ').replace(/\s+/g, ' '), { code: 'E_USAGE', where: flag, hint: 'See --help for the flags and their values.' });
}
