/**
 * "Network reaches only these host loopback ports" (for agent CLIs run in the sandbox, talking to an
 * agentdyno proxy). The sandbox keeps its own empty network namespace; agentdyno listens on a unix
 * socket per port in a folder bound into the sandbox and connects each accepted stream to
 * 127.0.0.1:PORT on the host. Inside, a small forwarder (this Node, run from the read-only /usr)
 * listens on 127.0.0.1:PORT of the sandbox's namespace and pipes to that socket. The candidate can
 * kill or replace the inner forwarder, but the host side only ever dials the ports given here.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AgentdynoError } from '../core/index.js';

/** Where the bridge folder is mounted inside the sandbox. */
export const BRIDGE_AT = '/tmp/.agentdyno-net';
const READY = '/tmp/.agentdyno-net-ready';

export interface LoopbackBridge {
  /** Host folder holding one socket per port (bind it at BRIDGE_AT). */
  dir: string;
  /** The step's command, preceded by the inner forwarder (waits until it listens). */
  wrap(command: string): string;
  close(): Promise<void>;
}

export async function openLoopbackBridge(ports: readonly number[], sandboxUid: number | null): Promise<LoopbackBridge> {
  const nodeBin = process.execPath;
  if (!/^\/(usr|bin|lib)/.test(nodeBin)) {
    throw new AgentdynoError(`the loopback bridge runs its forwarder with this Node (${nodeBin}), which is outside the folders the sandbox binds (/usr, /bin, /lib*).`, { code: 'E_SANDBOX_UNAVAILABLE', where: nodeBin, hint: 'Install Node under /usr (or /usr/local) to give sandboxed agent CLIs a proxy port.' });
  }
  for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new AgentdynoError(`loopback port ${p} is not a TCP port.`, { code: 'E_USAGE', where: 'loopbackPorts' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-net-'));
  fs.chmodSync(dir, 0o755);
  const servers: net.Server[] = [];
  const streams = new Set<net.Socket>();
  for (const port of ports) {
    const sock = path.join(dir, `p${port}.sock`);
    const srv = net.createServer((c) => {
      const t = net.connect(port, '127.0.0.1');
      streams.add(c).add(t);
      const end = () => {
        c.destroy();
        t.destroy();
        streams.delete(c);
        streams.delete(t);
      };
      c.on('error', end).on('close', end);
      t.on('error', end).on('close', end);
      c.pipe(t);
      t.pipe(c);
    });
    await new Promise<void>((res, rej) => srv.once('error', rej).listen(sock, () => res()));
    fs.chmodSync(sock, 0o666); // the sandbox user must be able to connect
    if (sandboxUid !== null) fs.chownSync(sock, sandboxUid, sandboxUid);
    servers.push(srv);
  }
  // No single quotes inside: it goes into sh -c '...'.
  const inner = `const net=require("net"),fs=require("fs");const ps=process.argv.slice(1).map(Number);let n=0;for(const p of ps){net.createServer(c=>{const u=net.connect("${BRIDGE_AT}/p"+p+".sock");const e=()=>{c.destroy();u.destroy()};c.on("error",e);u.on("error",e);c.pipe(u);u.pipe(c)}).listen(p,"127.0.0.1",()=>{if(++n===ps.length)fs.writeFileSync("${READY}","")})}`;
  return {
    dir,
    wrap: (command) =>
      `${nodeBin} -e '${inner}' ${ports.join(' ')} & i=0; while [ ! -e ${READY} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; [ -e ${READY} ] || { echo "agentdyno: loopback forwarder did not start" >&2; exit 125; }\n${command}`,
    close: async () => {
      for (const s of streams) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
