// The baseline: the least a proxy can do. Reads the body, forwards it through an undici
// keep-alive Pool to BENCH_UPSTREAM, and pipes the answer back. No auth, no policy.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const upstream = new URL(process.env.BENCH_UPSTREAM ?? 'http://127.0.0.1:1');
const pool = new Pool(upstream.origin, { connections: 256, keepAliveTimeout: 30_000 });

const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    pool
      .request({
        method: 'POST',
        path: req.url ?? '/',
        headers: { 'content-type': 'application/json' },
        body: Buffer.concat(parts),
      })
      .then(async (up) => {
        res.writeHead(up.statusCode, {
          'content-type': String(up.headers['content-type'] ?? 'application/json'),
        });
        for await (const chunk of up.body) res.write(chunk);
        res.end();
      })
      .catch(() => {
        res.statusCode = 502;
        res.end();
      });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
