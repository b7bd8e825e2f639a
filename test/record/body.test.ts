import { describe, expect, it } from 'vitest';
import { scanTopLevel, withUsageRequested } from '../../src/record/body.js';

const fwd = (o: string) => {
  const r = withUsageRequested(Buffer.from(o));
  return { body: r.payload.toString(), injected: r.injected };
};

describe('request body surgery without JSON.parse', () => {
  it('adds include_usage to a streaming request and keeps the rest byte for byte', () => {
    const src = ' {"model":"m","messages":[{"role":"user","content":"say \\"stream\\": true, {[" }],"stream" : true}';
    const r = fwd(src);
    expect(r.injected).toBe(true);
    expect(JSON.parse(r.body)).toEqual({ ...JSON.parse(src), stream_options: { include_usage: true } });
    expect(r.body.replace('"stream_options":{"include_usage":true},', '')).toBe(src);
  });

  it('looks only at top-level keys', () => {
    expect(fwd('{"messages":[{"stream":true}],"x":{"stream":true}}').injected).toBe(false);
    expect(fwd('{"stream":false,"messages":[]}').injected).toBe(false);
    expect(scanTopLevel(Buffer.from('{"a":{"stream_options":1},"stream":true}'))).toMatchObject({ streamTrue: true, hasStreamOptions: false });
  });

  it('a backslash run before a quote is counted (escaped vs real quote)', () => {
    const src = '{"messages":[{"content":"a\\\\"},{"content":"b\\\\\\"c"}],"stream":true}';
    expect(JSON.parse(src)).toBeTruthy();
    expect(fwd(src).injected).toBe(true);
  });

  it('an existing stream_options is merged (parsed path), or left alone when it already asks for usage', () => {
    const merged = fwd('{"stream":true,"stream_options":{"continuous_usage_stats":true},"messages":[]}');
    expect(merged.injected).toBe(true);
    expect(JSON.parse(merged.body).stream_options).toEqual({ continuous_usage_stats: true, include_usage: true });
    const asked = '{"stream":true,"stream_options":{"include_usage":true},"messages":[]}';
    expect(fwd(asked)).toEqual({ body: asked, injected: false });
  });

  it('not a JSON object: passed through untouched', () => {
    for (const s of ['', '[1]', '{"stream":true', 'garbage']) expect(fwd(s)).toEqual({ body: s, injected: false });
  });
});
