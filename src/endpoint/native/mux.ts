/**
 * The `native` transport's side in Node: one helper process (dist/native/agentdyno-reader, built
 * from reader.c) per Node process, spawned on first use, does every socket read and sends them
 * back over one pipe, stamped and batched per epoll round (the frame layout is in reader.c). Why:
 * Node then pays one pipe read and one callback for many socket reads. NativeSocket is the subset
 * of net.Socket that Conn (net-pool.ts) uses, so the HTTP parsing, deadlines and fault rules are
 * the net transport's own.
 *
 * If the helper dies (or its clock is not Node's), every open socket errors with ECONNRESET and
 * the helper's stderr in the message (classified `reset`, never a hang); the next connect spawns
 * a fresh helper.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dns from 'node:dns';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const F_CONNECT = 1;
const F_WRITE = 2;
const F_CLOSE = 3;
const F_HELLO = 10;
const F_CONNECTED = 11;
const F_DATA = 12;
const F_CLOSED = 13;
const K_EOF = 0;
const K_LOCAL = 4;
const HDR = 9;

const ERRNO_NAME = new Map<number, string>(Object.entries(os.constants.errno).map(([k, v]) => [v, k]));

/** Where the helper binary is: AGENTDYNO_NATIVE_READER, else dist/native/ (from dist/ or from src/ under tests). */
export function nativeReaderPath(): string | null {
  const env = process.env.AGENTDYNO_NATIVE_READER;
  if (env) return existsSync(env) ? env : null;
  for (const rel of ['../../native/agentdyno-reader', '../../../dist/native/agentdyno-reader']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return null;
}

function coded(message: string, code: string, errno?: number): Error {
  const e = new Error(message) as Error & { code: string; errno?: number };
  e.code = code;
  if (errno !== undefined) e.errno = -errno;
  return e;
}

/** The net.Socket subset Conn uses (setNoDelay, on/once, cork/write/uncork, destroyed, writable, destroy). */
export class NativeSocket extends EventEmitter {
  destroyed = false;
  writable = true;
  /** Set by the owner: every read, with the helper's stamp (CLOCK_MONOTONIC ns, taken after read()). */
  ondata: ((buf: Buffer, tNs: bigint) => void) | null = null;
  private corked: Buffer[] | null = null;
  /** Frames held until CONNECT went out (a hostname still being resolved). */
  private held: Buffer[] | null = null;

  constructor(private readonly mux: Mux, readonly id: number) {
    super();
  }

  setNoDelay(_on?: boolean): this {
    return this; // the helper sets TCP_NODELAY on every socket
  }

  cork(): void {
    this.corked ??= [];
  }

  uncork(): void {
    const parts = this.corked;
    this.corked = null;
    if (parts && parts.length) this.send(F_WRITE, parts);
  }

  write(data: string | Buffer): boolean {
    if (this.destroyed) return false;
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (this.corked) this.corked.push(b);
    else this.send(F_WRITE, [b]);
    return true;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.writable = false;
    this.held = null;
    this.mux.close(this);
    process.nextTick(() => this.emit('close', false));
    return this;
  }

  /** CONNECT has gone out: send what was written meanwhile. */
  released(): void {
    const h = this.held;
    this.held = null;
    if (h) for (const f of h) this.mux.write(f);
  }

  hold(): void {
    this.held = [];
  }

  private send(type: number, parts: Buffer[]): void {
    const f = this.mux.frame(type, this.id, parts);
    if (this.held) this.held.push(f);
    else this.mux.write(f);
  }

  /** The helper's CLOSED frame (or the helper's death) for a socket still open here. */
  ended(kind: number, errno: number, message?: string): void {
    if (kind === K_EOF) return this.finish(null);
    const code = errno === 0 ? 'ECONNRESET' : (ERRNO_NAME.get(errno) ?? 'ECONNRESET');
    this.finish(coded(message ?? `native reader: ${code} (errno ${errno})`, code, errno));
  }

  /** Gone: 'error' (when `err`) then 'close', as net.Socket reports it. */
  finish(err: Error | null): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.writable = false;
    this.held = null;
    if (err) this.emit('error', err);
    this.emit('close', err !== null);
  }
}

/** One helper process and the sockets it carries. */
class Mux {
  private readonly child: ChildProcess;
  private readonly socks: Array<NativeSocket | null> = [];
  /** Ids the helper has sent CLOSED for (only those may be reused). */
  private readonly freeIds: number[] = [];
  private open = 0;
  private rest: Buffer | null = null;
  private stderrTail = '';
  private helloOk = false;
  dead = false;
  private readonly spawnNs = process.hrtime.bigint();

  constructor(bin: string, lingerUs: number) {
    this.child = spawn(bin, [String(lingerUs)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.unref();
    // Only open sockets keep the process alive (as net sockets would); stdin/stderr never do.
    (this.child.stdin as unknown as net.Socket).unref();
    (this.child.stderr as unknown as net.Socket).unref();
    (this.child.stdout as unknown as net.Socket).unref();
    this.child.stdin!.on('error', () => {}); // EPIPE when it died: reported by 'close' below
    this.child.stderr!.on('data', (b: Buffer) => {
      this.stderrTail = (this.stderrTail + b.toString('utf8')).slice(-2000);
    });
    this.child.stdout!.on('data', this.onChunk);
    this.child.on('error', (err) => this.fail(`native reader could not start: ${err.message}`));
    this.child.on('close', (code, signal) => this.fail(`native reader exited (${signal ?? `code ${code}`})`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  connect(host: string, port: number): NativeSocket {
    const id = this.freeIds.pop() ?? this.socks.length;
    const s = new NativeSocket(this, id);
    this.socks[id] = s;
    if (this.open++ === 0) (this.child.stdout as unknown as net.Socket).ref();
    const go = (ip: string): void => {
      if (s.destroyed) return;
      const addr = Buffer.from(ip, 'latin1');
      const p = Buffer.allocUnsafe(2 + addr.length);
      p.writeUInt16LE(port, 0);
      addr.copy(p, 2);
      this.write(this.frame(F_CONNECT, id, [p]));
      s.released();
    };
    if (net.isIP(host)) go(host);
    else {
      s.hold();
      dns.lookup(host, (err, ip) => {
        if (err) {
          // No CONNECT went out: the helper knows nothing of this id, so it is free here (as
          // net.connect does, the lookup's own error: ENOTFOUND, EAI_AGAIN).
          s.finish(err);
          this.release(id);
          return;
        }
        go(ip);
      });
    }
    return s;
  }

  frame(type: number, id: number, parts: Buffer[]): Buffer {
    let len = 0;
    for (const p of parts) len += p.length;
    const f = Buffer.allocUnsafe(HDR + len);
    f[0] = type;
    f.writeUInt32LE(id, 1);
    f.writeUInt32LE(len, 5);
    let o = HDR;
    for (const p of parts) o += p.copy(f, o);
    return f;
  }

  write(f: Buffer): void {
    if (!this.dead) this.child.stdin!.write(f);
  }

  close(s: NativeSocket): void {
    if (this.socks[s.id] === s) this.write(this.frame(F_CLOSE, s.id, []));
  }

  private release(id: number): void {
    if (this.socks[id] === null || this.socks[id] === undefined) return;
    this.socks[id] = null;
    this.freeIds.push(id);
    if (--this.open === 0) (this.child.stdout as unknown as net.Socket).unref();
  }

  /** One pipe read: many frames (the helper batched a whole epoll round). */
  private readonly onChunk = (chunk: Buffer): void => {
    let b = chunk;
    if (this.rest) {
      b = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let i = 0;
    const n = b.length;
    while (n - i >= HDR) {
      const len = b.readUInt32LE(i + 5);
      if (n - i < HDR + len) break;
      const type = b[i];
      const id = b.readUInt32LE(i + 1);
      const p = i + HDR;
      i = p + len;
      if (type === F_DATA) {
        const s = this.socks[id];
        if (s && !s.destroyed) s.ondata?.(b.subarray(p + 8, i), b.readBigUInt64LE(p));
      } else if (type === F_CONNECTED) {
        const s = this.socks[id];
        if (s && !s.destroyed) s.emit('connect');
      } else if (type === F_CLOSED) {
        const s = this.socks[id];
        const kind = b[p];
        if (s && kind !== K_LOCAL) s.ended(kind, b.readInt32LE(p + 1));
        this.release(id);
      } else if (type === F_HELLO) this.hello(b.readBigUInt64LE(p));
      else return this.kill(`native reader sent an unknown frame type ${type}`);
    }
    if (i < n) this.rest = Buffer.from(b.subarray(i)); // a frame cut by the pipe: keep a copy for the next read
  };

  /** Its stamps are subtracted from process.hrtime.bigint(): the helper's clock must be Node's. */
  private hello(helperNs: bigint): void {
    const now = process.hrtime.bigint();
    if (helperNs < this.spawnNs || helperNs > now) {
      this.kill(`native reader's CLOCK_MONOTONIC (${helperNs}) is not process.hrtime.bigint()'s (${this.spawnNs}..${now}): its stamps would be wrong`);
    } else this.helloOk = true;
  }

  private kill(why: string): void {
    this.stderrTail += `\n${why}`;
    this.child.kill('SIGKILL');
  }

  private fail(why: string): void {
    if (this.dead) return;
    this.dead = true;
    if (current === this) current = null;
    const tail = this.stderrTail.trim();
    const msg = `${why}${tail ? `: ${tail}` : ''}${this.helloOk ? '' : ' (before its hello frame)'}`;
    for (let id = 0; id < this.socks.length; id++) {
      const s = this.socks[id];
      if (s) {
        this.socks[id] = null;
        s.ended(-1, 0, msg);
      }
    }
    this.open = 0;
  }
}

let current: Mux | null = null;

/**
 * How long the helper sleeps after each epoll round (µs) so the next round finds more sockets
 * ready: fewer wake-ups of both processes per socket read. Reads are stamped when read() returns,
 * so a stamp is at most this much later than an always-awake reader's (0.2 ms: a fifth of the 1 ms
 * timing gate; bench/client-overhead measured the CPU it saves). AGENTDYNO_NATIVE_LINGER_US sets it
 * (0 = none); null when that is not an integer 0..5000.
 */
export function nativeLingerUs(): number | null {
  const v = process.env.AGENTDYNO_NATIVE_LINGER_US;
  if (v === undefined || v === '') return 200;
  return /^\d+$/.test(v) && Number(v) <= 5000 ? Number(v) : null;
}

/** A plain-TCP socket carried by the native reader (spawned on first use). */
export function nativeConnect(host: string, port: number, bin: string): NativeSocket {
  current ??= new Mux(bin, nativeLingerUs() ?? 200);
  return current.connect(host, port);
}

/** The running helper's pid (tests kill it; the bench reads its CPU from /proc). */
export function nativeReaderPid(): number | null {
  return current?.pid ?? null;
}

let clockTicksPerS: number | null = null;

/**
 * CPU seconds (user + system) the running helper has used since it started, from
 * /proc/<pid>/stat (in clock ticks, 1/`getconf CLK_TCK` s); 0 when none runs. Whoever reports the
 * client's CPU adds this to process.cpuUsage(): the helper's reads are the client's work.
 */
export function nativeReaderCpuS(): number {
  const pid = current?.pid;
  if (pid === undefined) return 0;
  try {
    clockTicksPerS ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    // Fields after the ")" closing the name: utime and stime are the 12th and 13th of those.
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / clockTicksPerS;
  } catch {
    return 0;
  }
}
