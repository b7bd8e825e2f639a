/**
 * A lean HTTP/1.1 streaming transport on node:net (the `net` transport). Why: at 500 streams a raw
 * node:net reader costs ~0.55x the CPU per token event of a raw node:http reader on the same paced
 * server (bench/client-overhead, `net` mode), and undici's llhttp + dispatcher layers cost about
 * what node:http does. This reads the socket itself: one `data` callback per socket read, stamped
 * with process.hrtime.bigint() before any parsing, a byte-level chunked decoder, and the body
 * slices handed to the same dispatch handler as undici's (StreamRequest), so classification and
 * timing rules are shared. One request per socket at a time (no pipelining), keep-alive reuse,
 * idle/headers/body deadlines checked by one coarse timer per pool (not a timer per read).
 * Not supported (use AGENTDYNO_TRANSPORT=undici): HTTP/2, proxies, request bodies as streams.
 */
import net from 'node:net';
import tls from 'node:tls';
import { nativeConnect } from './native/mux.js';

/** What Conn uses of a socket: net.Socket, tls.TLSSocket, or the native reader's NativeSocket. */
export interface ConnSocket {
  setNoDelay(on?: boolean): unknown;
  on(event: string, fn: (...args: any[]) => void): unknown;
  once(event: string, fn: (...args: any[]) => void): unknown;
  cork(): void;
  uncork(): void;
  write(data: string | Buffer): boolean;
  destroy(): unknown;
  readonly destroyed: boolean;
  readonly writable: boolean;
}

export interface NetController {
  readonly aborted: boolean;
  abort(err: Error): void;
}

/** The subset of undici's DispatchHandler that StreamRequest implements (tNs: the read's stamp). */
export interface NetHandler {
  onRequestStart(c: NetController): void;
  onResponseStart(c: NetController, status: number, headers: Record<string, string | string[] | undefined>): void;
  onResponseData(c: NetController, chunk: Buffer, tNs?: bigint): void;
  onResponseEnd(c: NetController, trailers: Record<string, string>): void;
  onResponseError(c: NetController, err: Error): void;
}

export interface NetPoolOptions {
  connections: number;
  keepAliveTimeoutMs: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** The native reader's binary (native/reader.c): plain-TCP sockets go through it instead of node:net. */
  nativeReader?: string;
}

export interface NetDispatch {
  path: string;
  method: string;
  headers: Record<string, string>;
  /** The body's bytes, in pieces (written as one writev). */
  body: Buffer[];
}

const enum S { Idle, Head, Size, Data, DataEnd, Trailer, Length, UntilClose }
/** The read buffer every plain-TCP socket of every pool reads into (one read at a time: the event loop). */
const readBuffer = Buffer.allocUnsafe(256 * 1024);
const CR = 13;
const LF = 10;

function coded(message: string, code: string): Error {
  const e = new Error(message) as Error & { code: string };
  e.code = code;
  return e;
}

class Conn implements NetController {
  aborted = false;
  state = S.Idle;
  handler: NetHandler | null = null;
  private head: Buffer | null = null;
  private remaining = 0; // bytes left in the current chunk / content-length body
  private sizeAcc = 0;
  private sizeExt = false;
  private trailerLineLen = 0;
  private keepAlive = true;
  connected = false;
  /** Last activity (ns): connect, request write, any read. Checked by the pool's deadline sweep. */
  lastNs = process.hrtime.bigint();
  idleSinceNs = 0n;

  /** `ownReads`: the socket reads into the shared buffer (onread) and calls `onData` itself. */
  constructor(readonly sock: ConnSocket, private readonly pool: NetPool, ownReads = false) {
    sock.setNoDelay(true);
    if (!ownReads) sock.on('data', this.onData);
    sock.on('error', this.onError);
    sock.on('close', this.onClose);
    sock.once(sock instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      this.lastNs = process.hrtime.bigint();
    });
  }

  start(d: NetDispatch, h: NetHandler, hostHeader: string): void {
    this.handler = h;
    this.aborted = false;
    this.state = S.Head;
    this.head = null;
    this.keepAlive = true;
    this.idleSinceNs = 0n;
    this.lastNs = process.hrtime.bigint();
    h.onRequestStart(this);
    if (this.aborted) return;
    let text = `${d.method} ${d.path} HTTP/1.1\r\nhost: ${hostHeader}\r\n`;
    for (const k in d.headers) text += `${k}: ${d.headers[k]}\r\n`;
    let length = 0;
    for (const b of d.body) length += b.length;
    text += `content-length: ${length}\r\n\r\n`;
    const s = this.sock;
    s.cork();
    s.write(text);
    for (const b of d.body) s.write(b);
    s.uncork();
  }

  abort(err: Error): void {
    if (this.aborted || this.handler === null) return;
    this.aborted = true;
    this.fault(err);
  }

  /** Deadline sweep (the pool calls it): which deadline, if any, has passed. */
  checkDeadline(nowNs: bigint, o: NetPoolOptions): void {
    if (this.handler === null) return;
    const idleMs = Number(nowNs - this.lastNs) / 1e6;
    if (!this.connected) {
      if (idleMs > o.connectTimeoutMs) this.fault(coded(`connect timeout after ${o.connectTimeoutMs} ms`, 'UND_ERR_CONNECT_TIMEOUT'));
    } else if (this.state === S.Head) {
      if (idleMs > o.headersTimeoutMs) this.fault(coded(`headers timeout after ${o.headersTimeoutMs} ms`, 'UND_ERR_HEADERS_TIMEOUT'));
    } else if (idleMs > o.bodyTimeoutMs) this.fault(coded(`body timeout: no data for ${o.bodyTimeoutMs} ms`, 'UND_ERR_BODY_TIMEOUT'));
  }

  /**
   * One socket read. `buf` may be the shared read buffer: nothing may keep it after returning
   * (copy). `tNs`: the read's stamp when the native reader took it (right after its read()).
   */
  readonly onData = (buf: Buffer, tNs?: bigint): void => {
    const t = tNs ?? process.hrtime.bigint(); // stamp first: nothing before this line may do work
    this.lastNs = t;
    const h = this.handler;
    if (h === null) return; // bytes on an idle socket: ignored (the next response starts clean)
    let i = 0;
    const n = buf.length;
    while (i < n && this.handler === h && !this.aborted) {
      switch (this.state) {
        case S.Head: {
          i = this.readHead(buf, i);
          break;
        }
        case S.Size: {
          for (; i < n; i++) {
            const c = buf[i];
            if (c === LF) {
              i++;
              if (this.sizeAcc === 0) {
                this.state = S.Trailer;
                this.trailerLineLen = 0;
              } else {
                this.remaining = this.sizeAcc;
                this.state = S.Data;
              }
              break;
            }
            if (c === CR || this.sizeExt) continue;
            if (c === 59 /* ; */) {
              this.sizeExt = true;
              continue;
            }
            const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
            if (v < 0) return this.fault(coded('malformed chunked encoding (bad chunk size)', 'UND_ERR_SOCKET'));
            this.sizeAcc = this.sizeAcc * 16 + v;
          }
          break;
        }
        case S.Data:
        case S.Length: {
          const take = Math.min(this.remaining, n - i);
          const slice = buf.subarray(i, i + take);
          i += take;
          this.remaining -= take;
          const wasLength = this.state === S.Length;
          if (this.remaining === 0) this.state = wasLength ? S.Idle : S.DataEnd;
          h.onResponseData(this, slice, t);
          if (wasLength && this.remaining === 0 && this.handler === h && !this.aborted) this.complete();
          break;
        }
        case S.DataEnd: {
          // The CRLF after a chunk's data (tolerate a bare LF).
          const c = buf[i++];
          if (c === LF) this.startSize();
          break;
        }
        case S.Trailer: {
          for (; i < n; i++) {
            const c = buf[i];
            if (c === LF) {
              i++;
              if (this.trailerLineLen === 0) {
                this.complete();
                break;
              }
              this.trailerLineLen = 0;
            } else if (c !== CR) this.trailerLineLen++;
          }
          break;
        }
        case S.UntilClose:
          h.onResponseData(this, i === 0 ? buf : buf.subarray(i), t);
          i = n;
          break;
        default:
          i = n; // Idle: unexpected bytes after a response
      }
    }
  };

  private startSize(): void {
    this.state = S.Size;
    this.sizeAcc = 0;
    this.sizeExt = false;
  }

  /** Status line + headers; returns the index just past them (or n when they are incomplete). */
  private readHead(buf: Buffer, i: number): number {
    let b = i === 0 ? buf : buf.subarray(i);
    const fresh = this.head !== null;
    if (fresh) b = Buffer.concat([this.head!, b]);
    const end = b.indexOf('\r\n\r\n', 0, 'latin1');
    if (end < 0) {
      if (b.length > 65536) this.fault(coded('response head larger than 64 KiB', 'UND_ERR_SOCKET'));
      else this.head = fresh ? b : Buffer.from(b); // a view of the read buffer: copy (it is reused)
      return buf.length;
    }
    const consumedFromBuf = end + 4 - (this.head?.length ?? 0);
    this.head = null;
    const lines = b.toString('latin1', 0, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!m) {
      this.fault(coded(`not an HTTP/1.1 response: ${lines[0].slice(0, 80)}`, 'UND_ERR_SOCKET'));
      return buf.length;
    }
    const status = Number(m[1]);
    const headers: Record<string, string | string[] | undefined> = {};
    for (let k = 1; k < lines.length; k++) {
      const c = lines[k].indexOf(':');
      if (c <= 0) continue;
      const name = lines[k].slice(0, c).trim().toLowerCase();
      const value = lines[k].slice(c + 1).trim();
      const prev = headers[name];
      headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    const next = i + consumedFromBuf;
    if (status < 200) return next; // 1xx: the real head follows
    const h = this.handler!;
    const conn = String(headers.connection ?? '').toLowerCase();
    if (conn.includes('close')) this.keepAlive = false;
    h.onResponseStart(this, status, headers);
    if (this.handler !== h || this.aborted) return buf.length;
    const te = String(headers['transfer-encoding'] ?? '').toLowerCase();
    const cl = headers['content-length'];
    if (te.includes('chunked')) this.startSize();
    else if (cl !== undefined) {
      this.remaining = Number(Array.isArray(cl) ? cl[0] : cl);
      if (!Number.isFinite(this.remaining) || this.remaining < 0) {
        this.fault(coded('bad content-length', 'UND_ERR_SOCKET'));
        return buf.length;
      }
      if (this.remaining === 0 || status === 204 || status === 304) this.complete();
      else this.state = S.Length;
    } else if (status === 204 || status === 304) this.complete();
    else {
      this.state = S.UntilClose;
      this.keepAlive = false;
    }
    return next;
  }

  private complete(): void {
    const h = this.handler!;
    this.handler = null;
    this.state = S.Idle;
    h.onResponseEnd(this, {});
    if (this.keepAlive) this.pool.release(this);
    else {
      this.sock.destroy();
      this.pool.drop(this);
    }
  }

  private fault(err: Error): void {
    const h = this.handler;
    this.handler = null;
    this.state = S.Idle;
    this.sock.destroy();
    this.pool.drop(this);
    if (h) h.onResponseError(this, err);
  }

  private readonly onError = (err: Error): void => {
    this.fault(err);
  };

  private readonly onClose = (): void => {
    if (this.handler === null) {
      this.pool.drop(this);
      return;
    }
    if (this.state === S.UntilClose) return this.complete();
    this.fault(coded('other side closed', 'UND_ERR_SOCKET'));
  };
}

export class NetPool {
  private readonly idle: Conn[] = [];
  private readonly all = new Set<Conn>();
  private readonly waiting: Array<[NetDispatch, NetHandler]> = [];
  private readonly host: string;
  private readonly port: number;
  private readonly tlsOn: boolean;
  private readonly hostHeader: string;
  private sweep: NodeJS.Timeout | null = null;
  closed = false;

  constructor(origin: string, private readonly o: NetPoolOptions) {
    const u = new URL(origin);
    this.tlsOn = u.protocol === 'https:';
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port || (this.tlsOn ? 443 : 80));
    this.hostHeader = u.host;
  }

  dispatch(d: NetDispatch, h: NetHandler): void {
    if (this.closed) throw coded('the client is closed', 'UND_ERR_CLOSED');
    this.armSweep();
    let c = this.idle.pop();
    while (c && (c.sock.destroyed || !c.sock.writable)) {
      this.all.delete(c);
      c = this.idle.pop();
    }
    if (!c) {
      if (this.all.size >= this.o.connections) {
        this.waiting.push([d, h]);
        return;
      }
      if (this.tlsOn) {
        const sock = tls.connect({ host: this.host, port: this.port, servername: net.isIP(this.host) ? undefined : this.host, ALPNProtocols: ['http/1.1'] });
        c = new Conn(sock, this);
      } else if (this.o.nativeReader) {
        // The native reader does the reads (batched over one pipe) and stamps them itself.
        const sock = nativeConnect(this.host, this.port, this.o.nativeReader);
        c = new Conn(sock, this, true);
        sock.ondata = c.onData;
      } else {
        // Plain TCP reads straight into one buffer shared by every socket (net's `onread`): no
        // Buffer allocated and no stream push/'data' emit per read. Safe because each read is
        // handled synchronously before the next one is taken, and nothing keeps the bytes.
        let conn: Conn | null = null;
        const sock = net.connect({
          port: this.port,
          host: this.host,
          onread: {
            buffer: readBuffer,
            callback: (n: number, b: Uint8Array): boolean => {
              conn?.onData((b as Buffer).subarray(0, n));
              return true;
            },
          },
        });
        c = conn = new Conn(sock, this, true);
      }
      this.all.add(c);
    }
    c.start(d, h, this.hostHeader);
  }

  /** A response ended cleanly: reuse the socket for a waiting request, else park it. */
  release(c: Conn): void {
    const next = this.waiting.shift();
    if (next) return c.start(next[0], next[1], this.hostHeader);
    c.idleSinceNs = process.hrtime.bigint();
    this.idle.push(c);
  }

  drop(c: Conn): void {
    if (!this.all.delete(c)) return;
    const k = this.idle.indexOf(c);
    if (k >= 0) this.idle.splice(k, 1);
    const next = this.waiting.shift();
    if (next && !this.closed) this.dispatch(next[0], next[1]);
  }

  /** One coarse timer for every deadline of every socket (no per-read timer work). */
  private armSweep(): void {
    if (this.sweep) return;
    const everyMs = Math.max(5, Math.min(1000, Math.floor(Math.min(this.o.headersTimeoutMs, this.o.bodyTimeoutMs, this.o.connectTimeoutMs) / 4)));
    this.sweep = setInterval(() => {
      const now = process.hrtime.bigint();
      for (const c of [...this.all]) {
        if (c.handler) c.checkDeadline(now, this.o);
        else if (c.idleSinceNs > 0n && Number(now - c.idleSinceNs) / 1e6 > this.o.keepAliveTimeoutMs) {
          c.sock.destroy();
          this.drop(c);
        }
      }
    }, everyMs);
    this.sweep.unref();
  }

  /** Close: force ends in-flight requests (as resets); otherwise waits for them. */
  async close(force: boolean): Promise<void> {
    this.closed = true;
    if (!force) while ([...this.all].some((c) => c.handler !== null) || this.waiting.length) await new Promise((r) => setTimeout(r, 20));
    for (const [, h] of this.waiting.splice(0)) h.onResponseError(null as never, coded('client closed', 'UND_ERR_CLOSED'));
    for (const c of [...this.all]) c.abort(coded('client closed', 'UND_ERR_CLOSED'));
    for (const c of [...this.all]) c.sock.destroy();
    this.all.clear();
    this.idle.length = 0;
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
  }
}
