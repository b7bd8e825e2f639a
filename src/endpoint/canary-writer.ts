/**
 * The canary's writer, run as an eval'd worker_thread (source text, so it needs no build step and
 * works the same from src/ under vitest and from dist/; dynamic imports inside an async function,
 * so it runs whether the worker evaluates it as CommonJS or, under --input-type=module, as ESM). It listens on a loopback port and
 * answers one HTTP request with an endless SSE stream: every event is `data: <ns>` where <ns> is
 * process.hrtime.bigint() taken immediately before the socket write. Threads of one process share
 * that clock, so the reader's arrival stamp minus <ns> is its read lag. Gaps are drawn uniformly in
 * [0.5, 1.5] x the mean interval, so the stamps sample every phase of a periodic load (a fixed
 * period could lock onto the server's step rhythm and see only its quiet moments).
 */
export const CANARY_WRITER_SOURCE = String.raw`
(async () => {
const net = await import('node:net');
const { parentPort, workerData } = await import('node:worker_threads');
const meanMs = workerData.intervalMs;
const HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n';
const socks = new Set();
const server = net.createServer({ noDelay: true }, (sock) => {
  sock.setNoDelay(true);
  socks.add(sock);
  let head = '';
  let timer = null;
  const stop = () => { if (timer) clearTimeout(timer); timer = null; socks.delete(sock); };
  sock.on('close', stop);
  sock.on('error', stop);
  sock.on('data', (d) => {
    if (timer || head === null) return;
    head += d.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    head = null;
    sock.write(HEAD);
    const tick = () => {
      if (sock.destroyed) return;
      const t = process.hrtime.bigint(); // stamp last: nothing between it and the write
      const s = 'data: ' + t + '\n\n';
      sock.write(s.length.toString(16) + '\r\n' + s + '\r\n');
      timer = setTimeout(tick, meanMs * (0.5 + Math.random()));
    };
    timer = setTimeout(tick, meanMs * (0.5 + Math.random()));
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  for (const s of socks) s.destroy();
  server.close(() => parentPort.close());
});
})();
`;
