// The console's static files as every target serves them: index.html for / and client routes
// (revalidated), hashed assets kept for a year, the strict CSP on both, a plain page when the
// console was not built, and API paths and unknown paths untouched (their JSON 404).
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { createApp, createLogger } from '@airlock/common';
import { consoleRouter } from '../src/console/module.js';

async function serve(dir: string): Promise<{ url: string; server: Server }> {
  const app = createApp({
    logger: createLogger({ level: 'silent', service: 'test' }),
    metrics: new Registry(),
    readiness: { phase: 'serving', checks: [] },
    routers: [consoleRouter(dir)],
    corsOrigins: [],
    trustedProxies: [],
    bodyLimit: '1mb',
    serveMetrics: false,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('console static files', () => {
  let built: { url: string; server: Server };
  let missing: { url: string; server: Server };
  const index =
    '<!doctype html><html><head><script type="module" src="/assets/app-1a2b.js"></script></head></html>';

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'airlock-console-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), index);
    writeFileSync(path.join(dir, 'assets', 'app-1a2b.js'), 'console.log(1)');
    built = await serve(dir);
    missing = await serve(path.join(dir, 'no-such-dir'));
  });
  afterAll(() => {
    built.server.close();
    missing.server.close();
  });

  it.each(['/', '/console', '/console/policy', '/console/members/abc'])(
    'answers %s with index.html',
    async (p) => {
      const res = await fetch(`${built.url}${p}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await res.text()).toBe(index);
    },
  );

  it('serves hashed assets for a year, under the same headers', async () => {
    const res = await fetch(`${built.url}/assets/app-1a2b.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it.each(['/assets/nope.js', '/assets/../index.html', '/api/v1/anything', '/v1/models', '/favicon.ico'])(
    'leaves %s to the JSON 404',
    async (p) => {
      const res = await fetch(`${built.url}${p}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    },
  );

  it('says clearly when the console was not built, and API paths still answer JSON', async () => {
    const res = await fetch(`${missing.url}/console/tokens`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('The Airlock console is not built');
    const api = await fetch(`${missing.url}/api/v1/me`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/json');
  });
});
