/**
 * Secrets known to this process (API keys read from env, passwords inside URLs) and the one
 * function that masks them and secret-shaped text (URL credentials, bearer tokens, provider key
 * shapes). Every boundary calls it: the console (stdout/stderr writes), the store (every encoded
 * value), exports, reports, proxies. A secret is registered where it is read, so a copy echoed back
 * by a server (in an error body, in a stream) is masked too even when it has no known shape.
 */
export const REDACTED = '[redacted]';

/** Shorter values are not masked as literals (they would hit ordinary text); shapes still apply. */
const MIN_SECRET_LENGTH = 6;
const known = new Set<string>();
/** Every form a secret may be echoed in: raw, JSON-escaped, percent-encoded. Longest first. */
let forms: string[] = [];

/** The forms `s` may be echoed in (raw, JSON-escaped, percent-encoded). */
export function formsOf(s: string): string[] {
  const out = new Set([s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)]);
  return [...out].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** Remember `value` as a secret of this process (no-op for empty or very short values). */
export function registerSecret(value: string | null | undefined): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || known.has(value)) return;
  known.add(value);
  forms = [...new Set([...forms, ...formsOf(value)])].sort((a, b) => b.length - a.length);
}

/** Literal forms of the registered secrets (for stream scrubbers). */
export function secretForms(): readonly string[] {
  return forms;
}

/** Forget every registered secret (tests). */
export function clearSecrets(): void {
  known.clear();
  forms = [];
}

const URL_USER_PASS = /(\b[a-z][a-z0-9+.-]*:\/\/)([^/@\s:"'<>]+):([^/@\s"'<>]+)@/gi;
// A user part alone that looks like a token (`https://TOKEN@host`).
const URL_TOKEN_USER = /(\b[a-z][a-z0-9+.-]*:\/\/)([^/@\s:"'<>[\]]{12,})@/gi;
const BEARER = /\b(Bearer\s+|Basic\s+)[A-Za-z0-9._~+/=-]{8,}/g;
const KEY_SHAPES = /\b(sk-[A-Za-z0-9_-]{16,}|sk-ant-[A-Za-z0-9_-]{16,}|hf_[A-Za-z0-9]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16})\b/g;

/** `s` with every registered secret (in any of its forms) and every secret-shaped substring masked. */
export function redactSecrets(s: string): string {
  let out = s;
  for (const f of forms) if (out.includes(f)) out = out.split(f).join(REDACTED);
  if (out.includes('://')) {
    out = out.replace(URL_USER_PASS, `$1$2:${REDACTED}@`);
    out = out.replace(URL_TOKEN_USER, (m, scheme: string, user: string) => (user === REDACTED ? m : `${scheme}${REDACTED}@`));
  }
  out = out.replace(BEARER, `$1${REDACTED}`);
  return out.replace(KEY_SHAPES, REDACTED);
}

/** A URL for printing: credentials removed (`http://user:[redacted]@host`), unparseable input masked by shape. */
export function displayUrl(url: string): string {
  return redactSecrets(url);
}

/**
 * Registers the secrets a command line brings: the values of env variables named by `--*-env`
 * flags (`--api-key-env OPENAI_API_KEY`) and the credentials of URLs (`http://user:key@host`), and
 * the values of env variables whose names say they hold keys.
 */
export function registerSecretsFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--[a-z0-9-]*-env(?:=(.*))?$/i.exec(a);
    if (m) registerSecret(env[m[1] ?? argv[i + 1] ?? '']);
    for (const u of a.match(/\b[a-z][a-z0-9+.-]*:\/\/[^\s/]*@/gi) ?? []) {
      const info = u.slice(u.indexOf('://') + 3, -1);
      const colon = info.indexOf(':');
      const pass = colon >= 0 ? info.slice(colon + 1) : info;
      registerSecret(pass);
      try {
        registerSecret(decodeURIComponent(pass));
      } catch {
        /* not percent-encoded */
      }
    }
  }
  for (const [k, v] of Object.entries(env)) {
    if (/(api[-_]?key|token|secret|passw(or)?d|credential)/i.test(k) && v && v.length >= 8) registerSecret(v);
  }
}

let consoleGuarded = false;
/** How long a write's end that could start a registered secret is held for the next write. */
const CONSOLE_HOLD_MS = 50;

/**
 * Masks secrets in everything this process writes to stdout and stderr. Idempotent. A registered
 * secret split across writes is masked too: an end that could start one is held (a StreamScrubber
 * per stream) until the next write, at most CONSOLE_HOLD_MS, or the process exits; ordinary output
 * passes at once. Secret shapes (key patterns, URL credentials) are matched within one write.
 */
export function guardConsole(): void {
  if (consoleGuarded) return;
  consoleGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
    let scrubber: StreamScrubber | null = null;
    let scrubberForms: readonly string[] = [];
    let timer: NodeJS.Timeout | null = null;
    const flush = (): void => {
      if (timer) clearTimeout(timer);
      timer = null;
      const held = scrubber?.end() ?? '';
      if (held) write(held);
    };
    const scrub = (text: string): string => {
      // The registered secrets can grow while the process runs: a new scrubber keeps the held end.
      if (scrubberForms !== secretForms()) {
        const held = scrubber?.end() ?? '';
        scrubberForms = secretForms();
        scrubber = new StreamScrubber(scrubberForms);
        text = held + text;
      }
      const out = redactSecrets(scrubber!.push(text));
      if (timer) clearTimeout(timer);
      timer = null;
      if (scrubber!.holding()) {
        timer = setTimeout(flush, CONSOLE_HOLD_MS);
        timer.unref();
      }
      return out;
    };
    process.once('exit', flush);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string') return write(scrub(chunk), ...rest);
      if (chunk instanceof Uint8Array) {
        const text = Buffer.from(chunk).toString('utf8');
        const clean = scrub(text);
        return write(clean === text ? chunk : clean, ...rest);
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}

/**
 * Masks registered secrets in a stream of text cut at arbitrary points: holds back an end that
 * could be the start of a secret until more arrive, so a secret split across chunks is still found.
 */
export class StreamScrubber {
  private tail = '';
  private readonly hold: number;
  constructor(private readonly literals: readonly string[] = secretForms()) {
    this.hold = Math.max(0, ...literals.map((f) => f.length)) - 1;
  }
  push(text: string): string {
    if (this.literals.length === 0) return text;
    let s = this.tail + text;
    for (const f of this.literals) if (s.includes(f)) s = s.split(f).join(REDACTED);
    // Hold back only an end that could start a secret, so ordinary chunks pass at once (no added latency).
    let keep = Math.min(this.hold, s.length);
    while (keep > 0 && !this.literals.some((f) => f.startsWith(s.slice(s.length - keep)))) keep--;
    this.tail = s.slice(s.length - keep);
    return s.slice(0, s.length - keep);
  }
  /** Whether an end is held back for the next push. */
  holding(): boolean {
    return this.tail.length > 0;
  }
  end(): string {
    const t = this.tail;
    this.tail = '';
    return t;
  }
}
