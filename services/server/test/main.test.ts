// The real entry point, as `npm start` and the container run it.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { freePort, waitFor } from '@airlock/common/testing';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const MAIN = path.join(ROOT, 'services/server/src/main.ts');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

interface Run {
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

function runMain(args: string[], env: Record<string, string>): Run {
  let stdout = '';
  let stderr = '';
  const child = spawn(TSX, ['--conditions=@airlock/source', MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { stdout: () => stdout, stderr: () => stderr, exited, kill: (s = 'SIGTERM') => child.kill(s) };
}

// Each run is a fresh tsx process that compiles the entry point and its imports before it
// reads any config: tens of seconds on a loaded 2-core machine. The all-in-one test waits up
// to 60 s (its promise) for each of two starts, plus the starts and exits around them.
describe('airlock main', () => {
  it('stops on bad config with one line naming the variable', async () => {
    const run = runMain(['--target=all'], { PORT: 'not-a-port' });
    expect(await run.exited).toBe(1);
    expect(run.stderr().trim()).toMatch(/^airlock: invalid config: PORT: [^\n]+$/);
  }, 60_000);

  it('refuses an unknown target', async () => {
    const run = runMain(['--target=everything'], {});
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('--target: must be one of all, audit, gateway, identity, rbac');
  }, 60_000);

  it('refuses to start in production without Postgres, Redis and a key', async () => {
    const run = runMain(['--target=gateway'], { NODE_ENV: 'production' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('DATABASE_URL: is required when NODE_ENV=production');
    expect(run.stderr()).toContain('REDIS_URL: is required when NODE_ENV=production');
  }, 60_000);

  it('refuses the demo (development IdP, demo model) in production, before opening anything', async () => {
    // Nothing listens on these: the refusal comes before anything is opened.
    const run = runMain(['--target=all'], {
      NODE_ENV: 'production',
      AIRLOCK_DEMO: 'true',
      DATABASE_URL: 'postgres://airlock@127.0.0.1:1/airlock',
      REDIS_URL: 'redis://127.0.0.1:1',
      AIRLOCK_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      AIRLOCK_PUBLIC_URL: 'https://airlock.example',
    });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain(
      'AIRLOCK_DEMO: the demo (development IdP, demo model) is refused when NODE_ENV=production',
    );
  }, 60_000);

  it('runs all-in-one on embedded PGlite: ready within 60 s, demo seeded once, SIGTERM exits 0', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'airlock-data-'));
    const port = await freePort();
    const env = { PORT: String(port), AIRLOCK_DATA_DIR: dataDir, HOST: '127.0.0.1' };
    const first = runMain(['--target=all'], env);
    const t0 = Date.now();
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 60_000);
    const readyMs = Date.now() - t0;
    expect(readyMs).toBeLessThan(60_000);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const password = /password: (\S+)/.exec(first.stdout())?.[1];
    expect(password).toBeDefined();
    expect(first.stdout()).toContain('Demo org created: demo');
    // The one-time password is shown to the operator, never inside a log line.
    const logLines = first
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.some((l) => l.includes(password!))).toBe(false);
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = runMain(['--target=all'], env);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 60_000);
    expect(second.stdout()).not.toContain('password:');
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 240_000);
});
