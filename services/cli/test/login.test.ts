// `airlock login` end to end: the real CLI process against identity, rbac and the gateway in
// one server (as all-in-one runs them), a real OpenID provider for the browser's SSO, and the
// approval clicked through the real /device page with the browser's session cookie. The
// token must work on /v1/models and stop working when the browser session ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, runModules, type RunningServer } from '@airlock/common';
import {
  createOrg,
  createTestDatabase,
  freePort,
  serverEnv,
  waitFor,
  type TestDatabase,
} from '@airlock/common/testing';
import { gatewayModule } from '@airlock/gateway';
import { identityModule } from '@airlock/identity';
import { rbacModule } from '@airlock/rbac';
import { Browser } from '../../identity/test/support/browser.js';
import { connectOidcIdp, type OidcIdp, startOidcIdp } from '../../identity/test/support/oidc-idp.js';
import { callbackUrl } from '../../identity/src/domain/oidc.js';

const BIN = path.resolve(import.meta.dirname, '../bin/airlock.js');

interface Run {
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function airlock(args: string[], home: string): Run {
  let stdout = '';
  let stderr = '';
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home },
  });
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { stdout: () => stdout, stderr: () => stderr, exited };
}

describe('airlock login, token and logout against a running Airlock', () => {
  let database: TestDatabase;
  let server: RunningServer;
  let idp: OidcIdp;
  let base: string;
  let home: string;
  const browser = new Browser();

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = await runModules({
      modules: [rbacModule, identityModule, gatewayModule],
      service: 'all',
      logger: createLogger({ level: 'silent', service: 'all' }),
      env: serverEnv(database, {
        PORT: String(port),
        AIRLOCK_PUBLIC_URL: base,
        AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: 'true',
        // The CLI waits one interval before each poll: keep the test quick.
        AIRLOCK_DEVICE_POLL_INTERVAL_SECONDS: '1',
      }),
    });
    idp = await startOidcIdp(callbackUrl(base));
    const db = server.runtime.db;
    const org = await createOrg(db, { slug: 'acme', name: 'Acme' });
    await connectOidcIdp(db, server.runtime.keyring, idp, { orgId: org.id, name: 'Acme IdP' });
    idp.signInAs({ sub: 'erin', email: 'erin@acme.example', name: 'Erin', groups: [] });
    home = mkdtempSync(path.join(tmpdir(), 'airlock-cli-'));
  }, 60_000);
  afterAll(async () => {
    await idp?.close();
    await server?.shutdown();
    await database?.drop();
  });

  /** Runs `airlock login` and approves its code in the browser, through SSO when needed. */
  async function login() {
    const run = airlock(['login', '--url', base, '--org', 'acme'], home);
    await waitFor(async () => /\/device\?user_code=/.test(run.stderr()), 20_000);
    const link = /(http:\/\/\S+\/device\?user_code=\S+)/.exec(run.stderr())![1]!;
    const code = new URL(link).searchParams.get('user_code')!;
    expect(run.stderr()).toContain(`the code ${code}`);
    const page = await browser.get(link);
    expect(page.status).toBe(200);
    expect(page.body).toContain(code);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const approved = await browser.request(
      'POST',
      `${base}/device`,
      new URLSearchParams({ user_code: code, csrf, decision: 'approve' }),
    );
    expect(approved.status).toBe(200);
    expect(await run.exited).toBe(0);
    return run;
  }

  async function currentToken() {
    const run = airlock(['token'], home);
    expect(await run.exited).toBe(0);
    return run.stdout().trim();
  }

  const models = (token: string) =>
    fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

  it('signs in through the browser, prints the agent snippets and stores the token 0600', async () => {
    const run = await login();
    const file = path.join(home, '.config', 'airlock', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(stored).toMatchObject({ url: base, org: 'acme', token: expect.stringMatching(/^al_/) });
    expect(run.stdout()).toContain('"apiKeyHelper": "airlock token"');
    expect(run.stdout()).toContain(`"ANTHROPIC_BASE_URL": "${base}"`);
    expect(run.stdout()).toContain('[model_providers.airlock]');
    expect(run.stdout()).toContain(`base_url = "${base}/v1"`);
    expect(run.stdout()).toContain('wire_api = "responses"');
    // Both agents are told to dial nothing but Airlock.
    expect(run.stdout()).toContain('"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"');
    expect(run.stdout()).toMatch(/\[features\]\nplugins = false\nremote_plugin = false\napps = false/);
    expect(run.stdout()).toMatch(/^(model = "[^"]+"|# model = .*)$/m);
    // Continue: the gateway's /v1 as an OpenAI provider, the token from the environment.
    expect(run.stdout()).toContain('Continue (~/.continue/config.yaml)');
    expect(run.stdout()).toContain(`apiBase: "${base}/v1"`);
    expect(run.stdout()).toContain('apiKey: ${{ secrets.AIRLOCK_API_KEY }}');
    // The token is only ever in the file and in `airlock token`'s output.
    expect(run.stdout() + run.stderr()).not.toContain(stored.token);
    expect(await currentToken()).toBe(stored.token);
  }, 60_000);

  it('gives a token the gateway accepts until the browser session signs out', async () => {
    const token = await currentToken();
    expect(await models(token)).toBe(200);
    expect((await browser.request('POST', `${base}/auth/logout`)).status).toBe(204);
    // Another module's resolver hears of it through Redis; its cache lives < 5 s either way.
    await waitFor(async () => (await models(token)) === 401, 10_000);
    expect(await models(token)).toBe(401);
  }, 30_000);

  it('a new login revokes the token it replaces; logout revokes the token and forgets it', async () => {
    await login(); // signs in through SSO again: the previous session ended
    const replaced = await currentToken();
    expect(await models(replaced)).toBe(200);
    await login(); // same browser session this time
    const token = await currentToken();
    expect(token).not.toBe(replaced);
    await waitFor(async () => (await models(replaced)) === 401, 10_000);
    expect(await models(token)).toBe(200);
    const run = airlock(['logout'], home);
    expect(await run.exited).toBe(0);
    expect(existsSync(path.join(home, '.config', 'airlock', 'credentials.json'))).toBe(false);
    await waitFor(async () => (await models(token)) === 401, 10_000);
    const after = airlock(['token'], home);
    expect(await after.exited).toBe(1);
    expect(after.stderr()).toContain('not signed in');
  }, 60_000);

  it('token exits non-zero with the command to run when the stored token has expired', async () => {
    const file = path.join(home, '.config', 'airlock', 'credentials.json');
    writeFileSync(
      file,
      JSON.stringify({
        url: base,
        org: 'acme',
        token: 'al_x',
        tokenId: 'x',
        expiresAt: '2020-01-01T00:00:00.000Z',
      }),
      { mode: 0o600 },
    );
    const run = airlock(['token'], home);
    expect(await run.exited).toBe(1);
    expect(run.stdout()).toBe('');
    expect(run.stderr()).toContain(
      `expired at 2020-01-01T00:00:00.000Z: run \`airlock login --url ${base} --org acme\``,
    );
  });

  it('refuses plain http to another machine and an unknown org', async () => {
    const http = airlock(['login', '--url', 'http://airlock.example'], home);
    expect(await http.exited).toBe(1);
    expect(http.stderr()).toContain('must be https://');
    const org = airlock(['login', '--url', base, '--org', 'nope'], home);
    expect(await org.exited).toBe(1);
    expect(org.stderr()).toContain('invalid_request');
  });
});
