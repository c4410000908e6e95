// A second baseline: the raw pass-through, but on Express 5 with its JSON body parser (the
// framework every Airlock service runs on). Separates the framework's cost from the gateway's.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Pool } from 'undici';

const upstream = new URL(process.env.BENCH_UPSTREAM ?? 'http://127.0.0.1:1');
const pool = new Pool(upstream.origin, { connections: 256, keepAliveTimeout: 30_000 });

const app = express();
app.use(express.json({ limit: '4mb' }));
app.post('/v1/chat/completions', async (req, res) => {
  try {
    const up = await pool.request({
      method: 'POST',
      path: req.url,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(req.body),
    });
    res
      .status(up.statusCode)
      .setHeader('content-type', String(up.headers['content-type'] ?? 'application/json'));
    for await (const chunk of up.body) res.write(chunk);
    res.end();
  } catch {
    res.status(502).end();
  }
});
const server = app.listen(0, '127.0.0.1', () => {
  process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
server.keepAliveTimeout = 60_000;
