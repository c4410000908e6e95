// ARCHITECTURE.md: "Air-gapped means zero outbound connections." The all-in-one process is
// started with a preload that records every TCP connection and DNS lookup it attempts; after
// start-up and a round of requests, nothing may have gone anywhere but loopback.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { freePort, waitFor } from '@airlock/common/testing';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const LOOPBACK = /^(127\.|::1$|::ffff:127\.|localhost$)/;

const PRELOAD = path.join(import.meta.dirname, 'fixtures/record-connections.mjs');

function readLog(file: string): { kind: string; host?: string; address?: string; port?: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { kind: string; host?: string; address?: string });
}

describe('air-gapped start-up', () => {
  it('uses a recorder that does see connections and lookups (so an empty log means something)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'airlock-recorder-'));
    const netLog = path.join(dir, 'net.log');
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const script = `const s = require('node:net').connect(${port}, 'localhost'); s.on('close', () => process.exit(0)); s.on('error', () => process.exit(0));`;
    const child = spawn(process.execPath, ['--import', PRELOAD, '-e', script], {
      env: { PATH: process.env.PATH ?? '', AIRLOCK_NET_LOG: netLog },
      stdio: 'ignore',
    });
    await new Promise((r) => child.on('exit', r));
    server.close();
    const entries = readLog(netLog);
    expect(entries).toContainEqual(expect.objectContaining({ kind: 'dns', host: 'localhost' }));
    expect(entries).toContainEqual(expect.objectContaining({ kind: 'connect', port }));
  }, 30_000);

  it('makes no connection and no DNS lookup beyond loopback', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'airlock-airgap-'));
    const netLog = path.join(dir, 'net.log');
    const port = await freePort();
    const child = spawn(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      [
        '--conditions=@airlock/source',
        '--import',
        PRELOAD,
        path.join(ROOT, 'services/server/src/main.ts'),
        '--target=all',
      ],
      {
        cwd: ROOT,
        stdio: 'ignore',
        env: {
          PATH: process.env.PATH ?? '',
          PORT: String(port),
          HOST: '127.0.0.1',
          AIRLOCK_DATA_DIR: dir,
          AIRLOCK_AIRGAPPED: 'true',
          // The demo org's policy names a local Ollama on loopback: allowed, never contacted here.
          AIRLOCK_ALLOWED_UPSTREAM_HOSTS: '127.0.0.1',
          AIRLOCK_NET_LOG: netLog,
          LOG_LEVEL: 'warn',
        },
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 60_000);
      for (const route of [
        '/v1/models',
        '/api/v1/me',
        '/api/v1/policy',
        '/api/v1/audit-events',
        '/auth/login?org=demo',
      ]) {
        await fetch(`http://127.0.0.1:${port}${route}`, { redirect: 'manual' });
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const entries = readLog(netLog);
    const outside = entries.filter((e) => !LOOPBACK.test(e.host ?? e.address ?? ''));
    expect(outside).toEqual([]);
  }, 90_000);
});
