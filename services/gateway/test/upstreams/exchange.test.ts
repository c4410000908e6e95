import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@airlock/common/testing';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import { AbortEmitter } from '../../src/upstreams/abort.js';
import { exchange, UpstreamBody } from '../../src/upstreams/exchange.js';

type Behaviour = (req: IncomingMessage, res: ServerResponse) => void;

describe('upstream exchange (undici dispatch with our own body)', () => {
  let server: Server;
  let pool: Pool;
  let behave: Behaviour = (_req, res) => res.end('{}');
  const sockets = new Set<Socket>();
  let closedRequests = 0;
  let received = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      sockets.add(req.socket);
      received++;
      res.on('close', () => {
        if (!res.writableFinished) closedRequests++;
      });
      behave(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 1 });
  });
  afterAll(async () => {
    await pool.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const call = (signal = new AbortEmitter()) =>
    exchange(
      pool,
      { method: 'POST', path: '/x', body: '{}', headersTimeout: 5_000, bodyTimeout: 5_000 },
      signal,
    );

  it('gives the status, the two headers it reads and the whole body of several chunks', async () => {
    behave = (_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'retry-after': '7', 'x-other': 'y' });
      res.write('{"a":');
      setTimeout(() => res.end('1}'), 10);
    };
    const head = await call();
    expect(head.statusCode).toBe(201);
    expect(head.headers).toEqual({ 'content-type': 'application/json', 'retry-after': '7' });
    expect((await head.body.buffer()).toString()).toBe('{"a":1}');
  });

  it('yields chunks in order, then ends', async () => {
    behave = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      setTimeout(() => {
        res.write('data: 2\n\n');
        res.end();
      }, 10);
    };
    const head = await call();
    const seen: string[] = [];
    for await (const chunk of head.body) seen.push(chunk.toString());
    expect(seen.join('')).toBe('data: 1\n\ndata: 2\n\n');
    expect(await head.body.next()).toEqual({ value: undefined, done: true });
  });

  it('stops the upstream request when the reader leaves early', async () => {
    const before = closedRequests;
    behave = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n'); // …then a long generation
    };
    const head = await call();
    for await (const chunk of head.body) {
      expect(chunk.toString()).toContain('first');
      break;
    }
    await waitFor(() => closedRequests === before + 1, 3_000);
  });

  it('surfaces a reset mid-body to the reader', async () => {
    behave = (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: partial\n\n');
      setTimeout(() => req.socket.destroy(), 10);
    };
    const head = await call();
    const read = async () => {
      for await (const _chunk of head.body) {
        // drain
      }
    };
    await expect(read()).rejects.toThrow();
  });

  it('rejects before the headers with the signal reason, and fails the body after them', async () => {
    behave = () => undefined; // never answers
    const early = new AbortEmitter();
    const seen = received;
    const pending = call(early);
    await waitFor(() => received === seen + 1);
    const reason = Object.assign(new Error('caller left'), { name: 'AbortError' });
    early.abort(reason);
    await expect(pending).rejects.toBe(reason);

    behave = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
    };
    const late = new AbortEmitter();
    const head = await call(late);
    expect((await head.body.next()).done).toBe(false);
    late.abort(reason);
    await expect(head.body.next()).rejects.toBe(reason);
  });

  it('dumps a small answer and reuses the connection; a large one drops it', async () => {
    behave = (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"busy"}}');
    };
    sockets.clear();
    await (await call()).body.dump();
    await (await call()).body.dump();
    expect(sockets.size).toBe(1); // the same keep-alive connection both times

    // A large answer still arriving: 64 KiB every few ms, 4 MiB in all.
    const piece = Buffer.alloc(64 * 1024, 'x');
    behave = (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      let sent = 0;
      const more = () => {
        if (res.destroyed) return;
        if (++sent === 64) return res.end(piece);
        res.write(piece);
        setTimeout(more, 5);
      };
      more();
    };
    const before = closedRequests;
    sockets.clear();
    await (await call()).body.dump();
    await waitFor(() => closedRequests === before + 1, 3_000);
  });
});

/** The part of undici's DispatchController the body uses, recording what it is told. */
class RecordingController {
  paused = false;
  aborted = false;
  reason: Error | null = null;
  pauses = 0;
  resumes = 0;
  pause() {
    this.paused = true;
    this.pauses++;
  }
  resume() {
    this.paused = false;
    this.resumes++;
  }
  abort(reason: Error) {
    this.aborted = true;
    this.reason = reason;
  }
}

describe('upstream body backpressure', () => {
  const body = (c: RecordingController) => new UpstreamBody(c as unknown as Dispatcher.DispatchController);

  it('pauses the socket once 64 KiB wait unread and resumes when the reader catches up', async () => {
    const c = new RecordingController();
    const b = body(c);
    for (let i = 0; i < 3; i++) b.push(Buffer.alloc(16 * 1024));
    expect(c.pauses).toBe(0);
    b.push(Buffer.alloc(16 * 1024)); // 64 KiB queued
    expect(c.paused).toBe(true);
    await b.next();
    expect(c.paused).toBe(false);
    expect(c.resumes).toBe(1);
  });

  it('never pauses a body read whole', async () => {
    const c = new RecordingController();
    const b = body(c);
    const whole = b.buffer();
    for (let i = 0; i < 10; i++) b.push(Buffer.alloc(16 * 1024, i));
    b.end();
    const buf = await whole;
    expect(buf.length).toBe(160 * 1024);
    expect(buf[16 * 1024 * 9]).toBe(9);
    expect(c.pauses).toBe(0);
  });

  it('rejects a whole read when the request fails, and ignores a failure after the end', async () => {
    const c = new RecordingController();
    const failing = body(c);
    const whole = failing.buffer();
    failing.push(Buffer.from('{"a"'));
    failing.fail(new Error('reset'));
    await expect(whole).rejects.toThrow('reset');

    const done = body(c);
    done.push(Buffer.from('{}'));
    done.end();
    done.fail(new Error('late'));
    expect((await done.buffer()).toString()).toBe('{}');
  });
});
