import { render, type Instance } from 'ink';
import { PlainProgressPrinter } from './plain.js';
import { initialProgressState, reduceProgress, type ProgressState } from './progress-state.js';
import { SweepView } from './SweepView.js';
import type { ProgressEvent, ProgressSink } from './types.js';

export interface ProgressSinkOptions {
  /** `--json`: nothing on stdout, minimal lines on stderr. */
  json: boolean;
  /** Where progress goes (default process.stderr, so stdout stays clean for results). */
  stream?: NodeJS.WriteStream;
  /** Force the plain printer even on a TTY (e.g. `--no-tui`, CI). */
  plain?: boolean;
}

/** Live ink view on a TTY, plain lines otherwise; both from the same events. */
export function createProgressSink(opts: ProgressSinkOptions): ProgressSink {
  const stream = opts.stream ?? process.stderr;
  if (opts.json) return new PlainProgressPrinter({ stream, minimal: true });
  const dumb = process.env.TERM === 'dumb' || process.env.CI !== undefined;
  if (!stream.isTTY || opts.plain || dumb) return new PlainProgressPrinter({ stream });
  return new InkProgressSink(stream);
}

export class InkProgressSink implements ProgressSink {
  private state: ProgressState = initialProgressState();
  private instance: Instance | null;
  // Some pseudo-terminals report 0 columns, which would wrap every character onto its own line.
  private readonly width: number | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.width = stream.columns > 0 ? undefined : 100;
    this.instance = render(this.view(), {
      stdout: stream,
      stderr: stream,
      // Our own SIGINT handler (store.markInterruptedOnExit) decides what Ctrl-C does.
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 10,
    });
  }

  private view() {
    return <SweepView state={this.state} width={this.width} />;
  }

  emit(e: ProgressEvent): void {
    this.state = reduceProgress(this.state, e);
    this.instance?.rerender(this.view());
  }

  close(): void {
    if (!this.instance) return;
    this.instance.rerender(this.view());
    this.instance.unmount();
    this.instance = null;
    // Ink leaves its last frame without a line end; the report that follows starts on its own line.
    this.stream.write('\n');
  }
}
