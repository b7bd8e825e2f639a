/**
 * Watches a Responses or Messages SSE stream as it passes through the proxy (the bytes are
 * forwarded untouched: both APIs always report usage). Each event is parsed and read by the same
 * wire parser the endpoint client uses, so what is recorded (first output time, usage, finish
 * reason, text, tool calls) follows the one set of rules in endpoint/wire.
 */
import { SseDecoder, WireAccumulator, type NormalizedResponse, type WireApi } from '../endpoint/index.js';

export class WireTap {
  firstTokenAtMs?: number;
  private readonly acc: WireAccumulator;
  private readonly decoder: SseDecoder;

  constructor(api: WireApi, nowMs: () => number) {
    this.acc = new WireAccumulator(api);
    this.acc.onFirstOutput = () => (this.firstTokenAtMs = nowMs());
    this.decoder = new SseDecoder(
      (data) => {
        if (data === '[DONE]') return;
        try {
          this.acc.feed(JSON.parse(data));
        } catch {
          /* malformed event: forwarded as is, not recorded */
        }
      },
      () => undefined,
    );
  }

  push(chunk: Buffer): void {
    this.decoder.push(chunk);
  }

  end(keepContent: boolean): NormalizedResponse {
    this.decoder.end();
    return this.acc.result(keepContent);
  }
}
