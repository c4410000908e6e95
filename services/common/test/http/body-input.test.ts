// Client bodies that used to answer 500: corrupt compressed bodies (every encoding
// body-parser inflates) and JSON nested deeper than any API needs. Each is a 400 with a
// stable code, and the route never runs.
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest, type Server } from 'node:http';
import { MAX_JSON_DEPTH } from '../../src/http/json-depth.js';
import { fixtureApp } from './app-fixture.js';

const JSON_BODY = Buffer.from(JSON.stringify({ hello: 'world' }));
const ENCODERS = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync } as const;

function corrupt(buf: Buffer): Buffer {
  // Keep the header (so the decoder starts) and garble the rest.
  const out = Buffer.from(buf);
  for (let i = 4; i < out.length; i++) out[i] = out[i]! ^ 0x5a;
  return out;
}

const nested = (depth: number) => '['.repeat(depth - 1) + '{"a":1}' + ']'.repeat(depth - 1);

describe('client body input', () => {
  const { app } = fixtureApp();
  let server: Server;
  beforeAll(async () => {
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  // Raw node:http, so the bytes sent are exactly these (no client-side serialisation).
  const post = (body: Buffer | string, encoding?: string) =>
    new Promise<{ status: number; text: string; body: { error: { code: string; message: string } } }>(
      (resolve, reject) => {
        const raw = Buffer.from(body);
        const port = (server.address() as AddressInfo).port;
        const headers: Record<string, string | number> = {
          'content-type': 'application/json',
          'content-length': raw.length,
        };
        if (encoding) headers['content-encoding'] = encoding;
        const req = httpRequest(
          { host: '127.0.0.1', port, method: 'POST', path: '/echo', headers },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end(raw);
      },
    );

  for (const [encoding, encode] of Object.entries(ENCODERS)) {
    it(`reads a valid ${encoding} body`, async () => {
      const res = await post(encode(JSON_BODY), encoding);
      expect(res.text).toContain('world');
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).toContain('world');
    });

    it(`refuses a corrupt ${encoding} body with 400 bad_request`, async () => {
      const res = await post(corrupt(encode(JSON_BODY)), encoding);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
      expect(res.text).not.toMatch(/at .*\.js|Z_DATA_ERROR|ERR_/);
    });
  }

  it(`accepts JSON nested ${MAX_JSON_DEPTH} levels deep`, async () => {
    expect((await post(nested(MAX_JSON_DEPTH))).status).toBe(200);
  });

  it.each([MAX_JSON_DEPTH + 1, 400])(
    'refuses JSON nested %i levels deep with 400 bad_request',
    async (depth) => {
      const res = await post(nested(depth));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
      expect(res.body.error.message).toContain('nested');
    },
  );
});
