import { Command } from '@oclif/core';
import type { Input, ParserOutput } from '@oclif/core/parser';
import { AgentdynoError } from './errors.js';
import { guardConsole, registerSecretsFrom } from './secrets.js';

// oclif's own (unexported) constraint types, as declared in @oclif/core/lib/interfaces/parser.d.ts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type FlagOutput = { [name: string]: any };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ArgOutput = { [name: string]: any };

/**
 * Base for every agentdyno command: `--json` comes from oclif's json flag (the value `run()` returns
 * is printed as one JSON object), and an `AgentdynoError` becomes a one-paragraph message on stderr
 * with its exit code instead of a stack trace. Before anything runs, the secrets the command line
 * brings (keys named by `--*-env`, URL credentials) are registered and the console is guarded, so
 * no output of the command can print them.
 */
export abstract class AgentdynoCommand extends Command {
  static override enableJsonFlag = true;

  /** oclif's own flag/argument parse errors become E_USAGE like ours (a code, one paragraph, no usage dump). */
  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(options?: Input<F, B, A>, argv?: string[]): Promise<ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv);
    } catch (e) {
      if (e instanceof AgentdynoError || !(e instanceof Error)) throw e;
      throw usageError(e);
    }
  }

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

function usageError(err: Error): AgentdynoError {
  const lines = err.message.split('\n').map((l) => l.trim()).filter((l) => l && !/^See more help/.test(l) && !/^The following error/.test(l));
  const text = lines.join('\n');
  const flag = /--[a-z][a-z0-9-]*/i.exec(text)?.[0] ?? (/flag ([a-z][a-z0-9-]*)/i.exec(text)?.[1] ? `--${/flag ([a-z][a-z0-9-]*)/i.exec(text)![1]}` : undefined);
  return new AgentdynoError(lines.join(' ').replace(/\s+/g, ' '), { code: 'E_USAGE', where: flag, hint: 'See --help for the flags and their values.' });
}
