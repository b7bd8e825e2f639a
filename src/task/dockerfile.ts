/**
 * What an AutoLab/Harbor task's environment/Dockerfile sets up that its verifier relies on, derived
 * without Docker (DESIGN 3.2): the `/orig` copies and `*.sha256` hashes of protected files (the
 * verifier's integrity gate compares against them) and the tools it installs. We do not build
 * images: RUN steps we cannot replay are listed, so a task that needs them is reported, not failed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** One file the Dockerfile writes under /orig. */
export type OrigEntry =
  | { kind: 'sha256'; dest: string; files: string[]; bare: boolean }
  | { kind: 'copy'; dest: string; from: string; recursive: boolean };

export interface DockerfileInfo {
  baseImage: string | null;
  /** COPY src dest (dest absolute, e.g. /app/main.c). */
  copies: { src: string; dest: string }[];
  orig: OrigEntry[];
  /** apt packages installed, and the commands we look for to say whether this machine has them. */
  aptPackages: string[];
  /** RUN steps not replayed (besides apt/pip installs and the /orig steps we derive). */
  notReplayed: string[];
}

/** apt package → the command that shows it is installed (null: a library, nothing to look for). */
function commandOf(pkg: string): string[] {
  const table: Record<string, string[]> = { 'build-essential': ['gcc', 'make'], binutils: ['objdump'], 'golang-go': ['go'], 'python3-pip': ['pip3'], 'python3-venv': [], 'ca-certificates': [], 'linux-tools-generic': ['perf'], 'linux-tools-common': ['perf'], 'g++': ['g++'], nodejs: ['node'] };
  if (pkg in table) return table[pkg];
  if (/^(lib|python3-)|-dev$|-doc$/.test(pkg)) return [];
  if (/^golang/.test(pkg)) return ['go'];
  if (/^openjdk/.test(pkg)) return ['java'];
  return [pkg.replace(/[=:].*$/, '')];
}

export function parseDockerfile(text: string): DockerfileInfo {
  const info: DockerfileInfo = { baseImage: null, copies: [], orig: [], aptPackages: [], notReplayed: [] };
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  let workdir = '/';
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [instr, ...rest] = line.split(/\s+/);
    const arg = rest.join(' ');
    switch (instr.toUpperCase()) {
      case 'FROM':
        info.baseImage = rest[0] ?? null;
        break;
      case 'WORKDIR':
        workdir = path.posix.resolve(workdir, arg);
        break;
      case 'COPY':
      case 'ADD': {
        const parts = rest.filter((p) => !p.startsWith('--'));
        if (parts.length >= 2) {
          const dest = path.posix.resolve(workdir, parts[parts.length - 1]);
          for (const src of parts.slice(0, -1)) info.copies.push({ src, dest: parts.length > 2 || dest.endsWith('/') ? path.posix.join(dest, path.posix.basename(src)) : dest });
        }
        break;
      }
      case 'RUN':
        for (const seg of arg.split(/&&|;/).map((s) => s.trim()).filter(Boolean)) runSegment(seg, workdir, info);
        break;
      default:
        break;
    }
  }
  return info;
}

function runSegment(seg: string, workdir: string, info: DockerfileInfo): void {
  const abs = (p: string) => path.posix.resolve(workdir, p);
  if (/^(mkdir|echo|rm|true|cd|\(which)/.test(seg)) return;
  const apt = /apt-get\s+install\s+(.*)$/.exec(seg);
  if (apt) {
    info.aptPackages.push(...apt[1].split(/\s+/).filter((p) => p && !p.startsWith('-')));
    return;
  }
  if (/^apt-get\s+(update|clean)|^(pip3?|python3 -m pip)\s+install/.test(seg)) return;
  const sha = /^sha256sum\s+([^|>]+?)\s*(\|[^>]*)?>\s*(\/orig\/\S+)$/.exec(seg);
  if (sha) {
    info.orig.push({ kind: 'sha256', dest: sha[3], files: sha[1].split(/\s+/).map(abs), bare: Boolean(sha[2] && /cut|awk/.test(sha[2])) });
    return;
  }
  const cp = /^cp\s+(-r\s+|-a\s+|-R\s+)?(\S+)\s+(\/orig\/?\S*)$/.exec(seg);
  if (cp) {
    info.orig.push({ kind: 'copy', dest: cp[3], from: abs(cp[2]), recursive: Boolean(cp[1]) });
    return;
  }
  info.notReplayed.push(seg);
}

/** The environment/ file a container path came from (COPY mapping, else /app/<rel> = environment/<rel>). */
export function sourceOf(info: DockerfileInfo, envDir: string, containerPath: string, appDir = '/app'): string | null {
  for (const c of info.copies) {
    if (c.dest === containerPath) return path.join(envDir, c.src);
    if (containerPath.startsWith(c.dest + '/')) return path.join(envDir, c.src, containerPath.slice(c.dest.length + 1));
  }
  if (containerPath === appDir) return envDir;
  if (containerPath.startsWith(appDir + '/')) return path.join(envDir, containerPath.slice(appDir.length + 1));
  return null;
}

const sha256 = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

/**
 * Writes the /orig files into `origDir` from the task's original environment (never the candidate's
 * workspace). Returns what could not be derived (e.g. a hash of a file the image generated).
 */
export function materializeOrig(info: DockerfileInfo, envDir: string, origDir: string): string[] {
  const missing: string[] = [];
  fs.mkdirSync(origDir, { recursive: true });
  for (const e of info.orig) {
    const dest = path.join(origDir, path.posix.relative('/orig', e.dest));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    if (e.kind === 'sha256') {
      const srcs = e.files.map((f) => ({ f, src: sourceOf(info, envDir, f) }));
      const bad = srcs.filter((s) => !s.src || !fs.existsSync(s.src) || !fs.statSync(s.src).isFile());
      if (bad.length) {
        missing.push(`${e.dest} (hash of ${bad.map((b) => b.f).join(', ')}, which the image generates)`);
        continue;
      }
      fs.writeFileSync(dest, srcs.map((s) => (e.bare ? `${sha256(s.src!)}\n` : `${sha256(s.src!)}  ${s.f}\n`)).join(''));
    } else {
      const src = sourceOf(info, envDir, e.from);
      if (!src || !fs.existsSync(src)) {
        missing.push(`${e.dest} (copy of ${e.from}, which the image generates)`);
        continue;
      }
      const target = e.dest.endsWith('/') || (fs.existsSync(dest) && fs.statSync(dest).isDirectory()) ? path.join(dest, path.basename(src)) : dest;
      fs.cpSync(src, target, { recursive: true });
    }
  }
  return missing;
}

/** Commands the Dockerfile installs that the verifier or build files name: what the machine must have. */
export function requiredTools(info: DockerfileInfo, taskDir: string): string[] {
  const texts: string[] = [];
  const read = (f: string) => {
    try {
      if (fs.statSync(f).isFile() && fs.statSync(f).size < 1 << 20) texts.push(fs.readFileSync(f, 'utf8'));
    } catch {
      /* absent */
    }
  };
  const tests = path.join(taskDir, 'tests');
  if (fs.existsSync(tests)) for (const f of fs.readdirSync(tests)) read(path.join(tests, f));
  for (const f of ['Makefile', 'makefile', 'GNUmakefile']) read(path.join(taskDir, 'environment', f));
  const all = texts.join('\n');
  const out = new Set<string>();
  for (const pkg of info.aptPackages) for (const cmd of commandOf(pkg)) if (new RegExp(`(^|[^\\w./-])${cmd.replace(/[+]/g, '\\+')}([^\\w-]|$)`, 'm').test(all)) out.add(cmd);
  if (fs.existsSync(path.join(taskDir, 'environment', 'Cargo.toml'))) out.add('cargo');
  if (fs.existsSync(path.join(taskDir, 'environment', 'go.mod'))) out.add('go');
  return [...out].sort();
}
