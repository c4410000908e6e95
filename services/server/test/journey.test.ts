// The newcomer's first hour, exactly as README and docs/install.md tell it, on the pure
// `npm start` defaults (fresh data dir, embedded PGlite, in-memory Redis stand-in): sign in as
// the demo owner through the development IdP (real redirects, a cookie jar, the dev login
// form), create a token, call /v1/chat/completions with the official openai SDK (JSON and
// stream), and find the ai.request audit event through the audit API.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { freePort, waitFor } from '@airlock/common/testing';
import { Browser } from '../../identity/test/support/browser.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const MAIN = path.join(ROOT, 'services/server/src/main.ts');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function start(env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const child = spawn(TSX, ['--conditions=@airlock/source', MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { stdout: () => stdout, stderr: () => stderr, exited, kill: () => child.kill('SIGTERM') };
}

describe('first hour on `npm start` defaults', () => {
  let run: ReturnType<typeof start>;
  let base: string;
  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    run = start({
      PORT: String(port),
      HOST: '127.0.0.1',
      AIRLOCK_PUBLIC_URL: base,
      AIRLOCK_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'airlock-journey-')),
    });
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, 90_000);
  }, 120_000);
  afterAll(async () => {
    run?.kill();
    await run?.exited;
  });

  it('signs in as the demo owner, makes a token, calls the demo model and sees the audit event', async () => {
    const banner = run.stdout();
    expect(banner).toContain('DEMO MODE');
    const password = /password (\S+)$/m.exec(banner)?.[1];
    expect(password).toBeDefined();

    // 1. Sign in, as the banner says: the sign-in link lands on the dev IdP's login form.
    const browser = new Browser();
    const form = await browser.get(`${base}/auth/login?org=demo&returnTo=/api/v1/me`);
    expect(form.status).toBe(200);
    expect(form.body).toContain('DEVELOPMENT identity provider');
    // The real OIDC path: an authorization request with PKCE (S256).
    const authorize = browser.visited.find((u) => u.includes('/dev-idp/auth?'));
    expect(new URL(authorize!).searchParams.get('code_challenge_method')).toBe('S256');
    const action = /action="([^"]+)"/.exec(form.body)![1]!;
    const wrong = await browser.request(
      'POST',
      new URL(action, base).toString(),
      new URLSearchParams({ email: 'owner@example.com', password: 'not-it' }),
    );
    expect(wrong.status).toBe(401);
    const me = await browser.request(
      'POST',
      new URL(action, base).toString(),
      new URLSearchParams({ email: 'owner@example.com', password: password! }),
    );
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body)).toMatchObject({ role: 'owner', org: { slug: 'demo' } });

    // 2. A token, with the session.
    const cookie = [...browser.cookies(base)].map(([k, v]) => `${k}=${v}`).join('; ');
    const created = await fetch(`${base}/api/v1/tokens`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ name: 'first' }),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };

    // 3. The first call, with the official SDK: JSON, then streaming.
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: token, maxRetries: 0 });
    const answer = await client.chat.completions.create({
      model: 'airlock-demo',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(answer.choices[0]!.message.content).toContain('Airlock demo model');
    const stream = await client.chat.completions.create({
      model: 'airlock-demo',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    expect(streamed).toBe(answer.choices[0]!.message.content);

    // 4. The audit trail shows the calls.
    await waitFor(async () => {
      const res = await fetch(`${base}/api/v1/audit-events?action=ai.request`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.status !== 200) return false;
      const body = (await res.json()) as { data: { action: string }[] };
      return body.data.filter((e) => e.action === 'ai.request').length >= 2;
    }, 30_000);
  }, 120_000);
});
