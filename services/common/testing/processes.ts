// Throwaway Postgres and Redis servers for tests that stop and restart them (readiness,
// fail-closed, reconnect), so they never disturb the shared instances `make test` starts.
// Binaries come from Debian's packages (shared/recipes/test-services.md).
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const PG_BIN = process.env.TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const isRoot = process.getuid?.() === 0;

/** Postgres refuses to run as root: run its binaries as the postgres user then. */
function pgCommand(bin: string, args: string[]): [string, string[]] {
  const file = path.join(PG_BIN, bin);
  return isRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
}

function run(bin: string, args: string[]): void {
  const [cmd, argv] = pgCommand(bin, args);
  execFileSync(cmd, argv, { stdio: 'pipe' });
}

export interface ServerProcess {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops and deletes everything. */
  destroy(): Promise<void>;
}

export async function startPostgres(): Promise<ServerProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'airlock-pg-'));
  if (isRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
  const port = await freePort();
  run('initdb', ['-D', `${dir}/data`, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  const ctl = (args: string[]) => run('pg_ctl', ['-D', `${dir}/data`, ...args]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  let running = false;
  const server: ServerProcess = {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      ctl(['-l', `${dir}/pg.log`, '-o', options, '-w', 'start']);
      running = true;
    },
    async stop() {
      if (running) ctl(['-m', 'immediate', '-w', 'stop']);
      running = false;
    },
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

export async function startRedis(): Promise<ServerProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'airlock-redis-'));
  const port = await freePort();
  const bin = process.env.TEST_REDIS_BIN ?? 'redis-server';
  let running = false;
  const server: ServerProcess = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      args.push(
        '--daemonize',
        'yes',
        '--pidfile',
        `${dir}/redis.pid`,
        '--logfile',
        `${dir}/redis.log`,
        '--dir',
        dir,
      );
      await new Promise<void>((resolve, reject) => {
        const child = spawn(bin, args, { stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`redis-server exited ${code}`)),
        );
      });
      await waitFor(() => readFileSync(`${dir}/redis.pid`, 'utf8').trim().length > 0);
      running = true;
    },
    async stop() {
      if (!running) return;
      const pid = Number(readFileSync(`${dir}/redis.pid`, 'utf8').trim());
      process.kill(pid, 'SIGKILL');
      await waitFor(() => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      });
      rmSync(`${dir}/redis.pid`, { force: true });
      running = false;
    },
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** Polls until `condition` holds (or throws after timeoutMs). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
