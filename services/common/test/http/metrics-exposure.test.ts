// Rule: /metrics is not public. On the public port (no AIRLOCK_INTERNAL_PORT, as in a bare
// all-in-one) it answers only a direct loopback caller; through a proxy or from another
// address it is a 404 like any unknown path. The internal port serves it to anyone who
// can reach that port (shutdown.test.ts).
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Request } from 'express';
import { isDirectLoopback } from '../../src/http/health.js';
import { fixtureApp } from './app-fixture.js';

/** This machine's own non-loopback addresses: a request to one arrives from it, not from 127.0.0.1. */
const external = Object.values(networkInterfaces())
  .flat()
  .filter((a) => a && !a.internal && a.family === 'IPv4')
  .map((a) => a!.address);

describe('/metrics on the public port', () => {
  const { app } = fixtureApp();
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = app.listen(0, '0.0.0.0');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('answers a direct loopback caller', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('process_cpu_user_seconds_total');
  });

  it.each<Record<string, string>>([
    { 'x-forwarded-for': '203.0.113.9' },
    { 'x-forwarded-for': '127.0.0.1' },
    { forwarded: 'for=203.0.113.9' },
  ])('is a 404 for a loopback request a proxy relayed (%o)', async (headers) => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('process_cpu');
  });

  it('is a 404 from a non-loopback address', async () => {
    expect(external.length).toBeGreaterThan(0); // the CI machine has a network interface
    for (const address of external) {
      const res = await fetch(`http://${address}:${port}/metrics`);
      expect(res.status).toBe(404);
    }
  });

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['192.0.2.2', false],
    ['fd00::1', false],
    ['', false],
  ])('socket address %s counts as loopback: %s', (remoteAddress, expected) => {
    const req = { socket: { remoteAddress }, headers: {} } as unknown as Request;
    expect(isDirectLoopback(req)).toBe(expected);
  });
});
