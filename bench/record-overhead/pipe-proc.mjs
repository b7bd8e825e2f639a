// Child process: the baseline. A bare node:http pass-through that only pipes bytes (request body
// streamed up, response chunks streamed back, no parsing, no recording), stamped like the proxy.
// Whatever agentdyno's proxy adds beyond this is its own cost; what this adds over the direct
// path is the cost of any extra loopback hop on this machine.
import http from 'node:http';
import { Agent } from 'undici';
import { cpuReplies } from './proc-common.mjs';

const up = new URL(process.env.UPSTREAM);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const timings = [];
const HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);
const now = () => Number(process.hrtime.bigint());

// PIPE_CLIENT=undici: the same bare pass-through with undici's dispatch API upstream (what the
// proxy uses), to tell the HTTP client's cost from the proxy's own.
const useUndici = process.env.PIPE_CLIENT === 'undici';
const dispatcher = new Agent({ connections: 1024, pipelining: 1, keepAliveTimeout: 60_000 });
function viaUndici(req, res, t, headers) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    t[2] = now();
    t[3] = now();
    dispatcher.dispatch(
      { origin: up.origin, path: req.url, method: req.method, headers, body: Buffer.concat(chunks) },
      {
        onRequestStart() {}, // marks the handler as the new-style API
        onResponseStart(_c, status, h) {
          const o = {};
          for (const [k, v] of Object.entries(h)) if (!HOP.has(k)) o[k] = v;
          res.writeHead(status, o);
        },
        onResponseData(_c, c) {
          if (!t[4]) t[4] = now();
          res.write(c);
          if (!t[5]) t[5] = now();
        },
        onResponseEnd() {
          res.end();
          timings.push(t);
        },
        onResponseError() {
          res.destroy();
        },
      },
    );
  });
}

const server = http.createServer({ noDelay: true }, (req, res) => {
  const t = [req.headers['x-request-id'], now(), 0, 0, 0, 0];
  req.once('end', () => (t[2] = now()));
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  if (req.headers['content-length']) headers['content-length'] = req.headers['content-length'];
  if (useUndici) return viaUndici(req, res, t, headers);
  t[3] = now();
  const ureq = http.request({ host: up.hostname, port: up.port, path: req.url, method: req.method, headers, agent }, (ures) => {
    const h = {};
    for (const [k, v] of Object.entries(ures.headers)) if (!HOP.has(k)) h[k] = v;
    res.writeHead(ures.statusCode, h);
    ures.on('data', (c) => {
      if (!t[4]) t[4] = now();
      res.write(c);
      if (!t[5]) t[5] = now();
    });
    ures.on('end', () => {
      res.end();
      timings.push(t);
    });
  });
  ureq.setNoDelay(true);
  ureq.on('error', () => res.destroy());
  req.pipe(ureq);
});
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}` }));
cpuReplies({
  report: () => ({ timings }),
  close: async () => {
    server.closeAllConnections();
    agent.destroy();
    await new Promise((r) => server.close(r));
  },
});
