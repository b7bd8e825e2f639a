/**
 * Protocol messages as JSON for Redis. Every bigint in the protocol is a monotonic instant in ns
 * (call stamps, window and cut instants), so moving a message between two machines' timebases is
 * one shift added to every bigint: encode(m, -shift) towards a worker, decode(text, +shift) from it.
 */
const TAG = '\u0001n';

export function encode(m: unknown, shiftNs = 0n): string {
  return JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? `${TAG}${v + shiftNs}` : v));
}

export function decode<T>(text: string, shiftNs = 0n): T {
  return JSON.parse(text, (_k, v) => (typeof v === 'string' && v.startsWith(TAG) ? BigInt(v.slice(TAG.length)) + shiftNs : v)) as T;
}
