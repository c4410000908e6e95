// `npm run bench`: the gateway against a raw undici proxy and the upstream itself, on this
// machine. Starts its own Postgres and Redis (test kit), a 0 ms fake upstream, the raw proxy,
// the same pass-through on Express (to separate the framework's cost from the gateway's)
// and the gateway (auth + policy + rate limits + audit on), each in its own process, drives
// each with autocannon at 16 and 64 connections, measures streaming time to first byte, and
// prints a markdown table. Not a test: numbers depend on the machine.
//   BENCH_SECONDS (default 10) per run; BENCH_TTFB_SAMPLES (default 300); BENCH_DIST=1 runs
//   the services from dist/.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { openDb, sha256Hex } from '@airlock/common';
import { startPostgres, startRedis } from '@airlock/common/testing';

const here = import.meta.dirname;
const root = path.resolve(here, '../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const TTFB_SAMPLES = Number(process.env.BENCH_TTFB_SAMPLES ?? 300);
// BENCH_DIST=1 loads the services from their built dist/ (run `npm run build` first): only the
// bench's own small scripts go through tsx, so the gateway's RSS is closer to production's.
const LOADER = process.env.BENCH_DIST
  ? ['--import', 'tsx']
  : ['--import', 'tsx', '--conditions=@airlock/source'];
const children: ChildProcess[] = [];

function start(
  file: string,
  env: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(path.join(here, file), [], {
    // BENCH_PROFILE=dir writes a CPU profile of each service process there.
    execArgv: process.env.BENCH_PROFILE
      ? [...LOADER, ...nodeArgs, '--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
      : [...LOADER, ...nodeArgs],
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ url: (m as { url: string }).url, child }));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

async function seed(databaseUrl: string, upstreamUrl: string): Promise<string> {
  const db = await openDb({ url: databaseUrl, poolSize: 2 });
  try {
    const org = await db.system.org.create({
      data: { slug: 'bench', name: 'bench', allowedEmailDomains: [] },
    });
    const user = await db.system.user.create({ data: { email: 'bench@example.test' } });
    await db.system.membership.create({ data: { orgId: org.id, userId: user.id, role: 'member' } });
    const token = `al_${randomBytes(24).toString('base64url')}`;
    await db.system.apiToken.create({
      data: {
        orgId: org.id,
        userId: user.id,
        name: 'bench',
        prefix: token.slice(0, 8),
        tokenHash: sha256Hex(token),
      },
    });
    await db.system.orgPolicy.create({
      data: {
        orgId: org.id,
        version: 1,
        document: {
          models: { allow: { member: ['*'] } },
          upstreams: [{ name: 'fake', baseUrl: `${upstreamUrl}/v1`, kind: 'onprem', provider: 'vllm' }],
          // Limits on at every scope, high enough never to refuse: the cost is what is measured.
          limits: {
            perUser: { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000 },
            perOrg: { requestsPerMinute: 1_000_000_000 },
          },
        },
      },
    });
    return token;
  } finally {
    await db.close();
  }
}

const BODY = JSON.stringify({
  model: 'bench-model',
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
  max_tokens: 16,
});

interface Row {
  target: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(
  target: string,
  base: string,
  token: string,
  connections: number,
  seconds: number,
): Promise<Row> {
  const result = await autocannon({
    url: `${base}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: BODY,
    connections,
    duration: seconds,
  });
  return {
    target,
    connections,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

async function ttfb(base: string, token: string): Promise<{ p50: number; p99: number }> {
  const url = new URL(base);
  const pool = new Pool(url.origin, { connections: 1 });
  const samples: number[] = [];
  const body = JSON.stringify({ ...JSON.parse(BODY), stream: true, stream_options: { include_usage: true } });
  for (let i = 0; i < TTFB_SAMPLES + 20; i++) {
    const t0 = performance.now();
    const res = await pool.request({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    let first = 0;
    for await (const _chunk of res.body) if (!first) first = performance.now() - t0;
    if (i >= 20) samples.push(first); // the first 20 warm up connections and caches
  }
  await pool.close();
  samples.sort((a, b) => a - b);
  return {
    p50: samples[Math.floor(samples.length * 0.5)]!,
    p99: samples[Math.floor(samples.length * 0.99)]!,
  };
}

/** The gateway's own process.memoryUsage(), over IPC (undefined if it does not answer). */
function memoryOf(child: ChildProcess): Promise<NodeJS.MemoryUsage | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 2_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      const { memory, beforeGc } = m as { memory?: NodeJS.MemoryUsage; beforeGc?: NodeJS.MemoryUsage };
      if (memory && beforeGc) {
        process.stderr.write(
          `gateway heap used before a full GC: ${Math.round(beforeGc.heapUsed / 2 ** 20)} MB, after: ${Math.round(memory.heapUsed / 2 ** 20)} MB\n`,
        );
      }
      resolve(memory);
    });
    child.send('memory');
  });
}

function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

const fmt = (n: number, d = 0) => n.toFixed(d);
const signed = (n: number, d = 0) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(d)}`;

async function main(): Promise<void> {
  process.stderr.write('starting Postgres, Redis, upstream, raw proxy and gateway…\n');
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  try {
    execFileSync(process.execPath, [...LOADER, path.join(root, 'scripts/migrate.ts')], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: postgres.url, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const upstream = await start('fake-upstream.ts');
    const token = await seed(postgres.url, upstream.url);
    const proxy = await start('raw-proxy.ts', { BENCH_UPSTREAM: upstream.url });
    const expressProxy = await start('express-proxy.ts', { BENCH_UPSTREAM: upstream.url });
    const gateway = await start(
      'gateway-server.ts',
      {
        NODE_ENV: 'development',
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: postgres.url,
        REDIS_URL: redis.url,
        AIRLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS: 'true',
        // Access log on, as in production; BENCH_GATEWAY_LOG_LEVEL=warn measures without it.
        LOG_LEVEL: process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'info',
      },
      // BENCH_GATEWAY_NODE_ARGS="--max-semi-space-size=4": V8 flags for the gateway only.
      (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean),
    );
    const targets = [
      { name: 'direct (upstream)', url: upstream.url },
      { name: 'raw undici proxy', url: proxy.url },
      { name: 'express pass-through', url: expressProxy.url },
      { name: 'gateway', url: gateway.url },
    ];
    const rows: Row[] = [];
    for (const connections of [16, 64]) {
      for (const t of targets) {
        process.stderr.write(`${t.name} at ${connections} connections…\n`);
        await load(t.name, t.url, token, connections, 4); // warm-up: JIT, pools, caches
        rows.push(await load(t.name, t.url, token, connections, SECONDS));
      }
    }
    const streaming = [];
    for (const t of targets) {
      process.stderr.write(`${t.name}: streaming time to first byte…\n`);
      streaming.push({ name: t.name, ...(await ttfb(t.url, token)) });
    }
    const memory = rssMb(gateway.child.pid!);
    const heap = await memoryOf(gateway.child);

    const out: string[] = [];
    out.push(
      `Machine: ${(await import('node:os')).cpus().length} cores, Node ${process.version}; ${SECONDS} s per run; autocannon in the driver process.\n`,
    );
    out.push(
      '| target | connections | req/s | p50 ms | p99 ms | errors | req/s vs raw proxy | req/s vs express pass-through | req/s vs direct |',
    );
    out.push('|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const raw = rows.find((x) => x.connections === r.connections && x.target === 'raw undici proxy')!;
      const direct = rows.find((x) => x.connections === r.connections && x.target === 'direct (upstream)')!;
      const onExpress = rows.find(
        (x) => x.connections === r.connections && x.target === 'express pass-through',
      )!;
      out.push(
        `| ${r.target} | ${r.connections} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.errors} | ${fmt((100 * r.rps) / raw.rps)} % | ${fmt((100 * r.rps) / onExpress.rps)} % | ${fmt((100 * r.rps) / direct.rps)} % |`,
      );
    }
    out.push('');
    for (const c of [16, 64]) {
      const g = rows.find((x) => x.connections === c && x.target === 'gateway')!;
      const d = rows.find((x) => x.connections === c && x.target === 'direct (upstream)')!;
      out.push(
        `Added latency over direct at ${c} connections: p50 ${signed(g.p50 - d.p50, 1)} ms, p99 ${signed(g.p99 - d.p99, 1)} ms.`,
      );
    }
    out.push('');
    out.push('| streaming, sequential | TTFB p50 ms | TTFB p99 ms |');
    out.push('|---|---|---|');
    for (const s of streaming) out.push(`| ${s.name} | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} |`);
    const d = streaming[0]!;
    const g = streaming[streaming.length - 1]!;
    out.push('');
    out.push(
      `Streaming TTFB overhead of the gateway over direct: p50 ${signed(g.p50 - d.p50, 2)} ms, p99 ${signed(g.p99 - d.p99, 2)} ms.`,
    );
    out.push(`Gateway RSS after the runs: ${fmt(memory.rss)} MB (peak ${fmt(memory.peak)} MB).`);
    if (heap) {
      const mb = (n: number) => fmt(n / 2 ** 20);
      out.push(
        `Gateway V8 heap used ${mb(heap.heapUsed)} MB of ${mb(heap.heapTotal)} MB, external ${mb(heap.external)} MB (array buffers ${mb(heap.arrayBuffers)} MB).`,
      );
    }
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1_000)); // let them write profiles and close
    await Promise.all([postgres.destroy(), redis.destroy()]);
  }
}

await main();
process.exit(0);
