// `npm run bench`: the gateway against a raw undici proxy and the upstream itself, on this
// machine. Starts its own Postgres and Redis (test kit), a 0 ms fake upstream, the raw proxy,
// the same pass-through on Express (to separate the framework's cost from the gateway's)
// and the gateway (auth + policy + rate limits + audit on), each in its own process, drives
// each with autocannon (chat completions JSON and streaming at 16 and 64 connections; Messages
// and Responses passed through and translated at 16), with each process's CPU per request,
// measures latency and streaming time to first byte on one connection, and prints markdown
// tables. Not a test: numbers depend on the machine.
//   BENCH_SECONDS (default 10) per run; BENCH_TTFB_SAMPLES (default 300) sequential samples;
//   BENCH_DIST=1 runs the services from dist/; BENCH_ONLY=regex picks scenarios, BENCH_TARGETS=regex targets;
//   BENCH_HEAP_SNAPSHOT=dir writes heap snapshots of the gateway at idle and after the runs.
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
  // A plain .js service on dist/ needs no loader (the gateway: its RSS is then production's).
  const loader = process.env.BENCH_DIST && file.endsWith('.js') ? [] : LOADER;
  const child = fork(path.join(here, file), [], {
    // BENCH_PROFILE=dir writes a CPU profile of each service process there.
    execArgv: process.env.BENCH_PROFILE
      ? [...loader, ...nodeArgs, '--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
      : [...loader, ...nodeArgs],
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

/** Bearer tokens of the seeded orgs: one whose limits never refuse, one whose every call is refused. */
interface Tokens {
  token: string;
  /** An org whose token budget (1 a minute) is below any request's reservation: every call gets 429. */
  limited: string;
}

async function seed(databaseUrl: string, upstreamUrl: string): Promise<Tokens> {
  const db = await openDb({ url: databaseUrl, poolSize: 2 });
  try {
    const user = await db.system.user.create({ data: { email: 'bench@example.test' } });
    const org = async (slug: string, limits: object): Promise<string> => {
      const created = await db.system.org.create({ data: { slug, name: slug, allowedEmailDomains: [] } });
      await db.system.membership.create({ data: { orgId: created.id, userId: user.id, role: 'member' } });
      const token = `al_${randomBytes(24).toString('base64url')}`;
      await db.system.apiToken.create({
        data: {
          orgId: created.id,
          userId: user.id,
          name: 'bench',
          prefix: token.slice(0, 8),
          tokenHash: sha256Hex(token),
        },
      });
      await db.system.orgPolicy.create({
        data: {
          orgId: created.id,
          version: 1,
          document: {
            models: { allow: { member: ['*'] } },
            upstreams: [
              // vLLM speaks Messages and Responses natively: passed through.
              {
                name: 'fake',
                baseUrl: `${upstreamUrl}/v1`,
                kind: 'onprem',
                provider: 'vllm',
                models: ['bench-model'],
              },
              // A plain OpenAI-compatible server does not: translated to chat completions.
              {
                name: 'fake-compat',
                baseUrl: `${upstreamUrl}/v1`,
                kind: 'onprem',
                provider: 'openai-compatible',
                models: [TRANSLATED],
              },
            ],
            limits,
          },
        },
      });
      return token;
    };
    return {
      // Limits on at every scope, high enough never to refuse: the cost is what is measured.
      token: await org('bench', {
        perUser: { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000 },
        perOrg: { requestsPerMinute: 1_000_000_000 },
      }),
      // What a client over its quota costs: checked in Redis, refused, logged and audited.
      limited: await org('bench-limited', {
        perUser: { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1 },
      }),
    };
  } finally {
    await db.close();
  }
}

const CHAT = {
  model: 'bench-model',
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
  max_tokens: 16,
};
const MESSAGES = {
  model: 'bench-model',
  max_tokens: 16,
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
};
const RESPONSES = { model: 'bench-model', input: 'Say hello in five words.', max_output_tokens: 16 };
/** The model the seeded policy routes to an openai-compatible upstream: translated, not passed through. */
const TRANSLATED = 'bench-translate';

interface Scenario {
  name: string;
  path: string;
  body: string;
  /** Which targets serve it (the Express pass-through only knows chat completions). */
  targets: readonly string[];
  connections: readonly number[];
  /** The answer every request should get (default: a 2xx); any other counts as an error. */
  status?: number;
  /** Which seeded org's token it calls with (default: the one that is never refused). */
  token?: keyof Tokens;
}

const ALL = [
  'direct (upstream)',
  'raw undici proxy',
  'express pass-through',
  'gateway (Express only)',
  'gateway',
];
const stream = (b: object) => ({ ...b, stream: true });
const SCENARIOS: Scenario[] = [
  {
    name: 'chat JSON',
    path: '/v1/chat/completions',
    body: JSON.stringify(CHAT),
    targets: ALL,
    connections: [16, 64],
  },
  {
    name: 'chat stream',
    path: '/v1/chat/completions',
    body: JSON.stringify({ ...stream(CHAT), stream_options: { include_usage: true } }),
    targets: ALL,
    connections: [16, 64],
  },
  ...(
    [
      ['messages', '/v1/messages', MESSAGES],
      ['responses', '/v1/responses', RESPONSES],
    ] as const
  ).flatMap(([name, path, body]) => [
    {
      name: `${name} pass-through JSON`,
      path,
      body: JSON.stringify(body),
      targets: ['raw undici proxy', 'gateway'],
      connections: [16],
    },
    {
      name: `${name} pass-through stream`,
      path,
      body: JSON.stringify(stream(body)),
      targets: ['raw undici proxy', 'gateway'],
      connections: [16],
    },
    // The raw proxy cannot translate: the gateway is compared with its pass-through of the same API.
    {
      name: `${name} translated JSON`,
      path,
      body: JSON.stringify({ ...body, model: TRANSLATED }),
      targets: ['gateway'],
      connections: [16],
    },
    {
      name: `${name} translated stream`,
      path,
      body: JSON.stringify(stream({ ...body, model: TRANSLATED })),
      targets: ['gateway'],
      connections: [16],
    },
  ]),
  {
    name: 'chat JSON refused (429)',
    path: '/v1/chat/completions',
    body: JSON.stringify(CHAT),
    targets: ['gateway'],
    connections: [16],
    status: 429,
    token: 'limited',
  },
];

interface Row {
  scenario: string;
  target: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time of the target's own process per request, µs (undefined: not measured). */
  cpuUs?: number;
  /** The kernel's share of it (system time: socket reads and writes), µs. */
  sysUs?: number;
}

/** utime and stime of a process, in ms (from /proc; clock ticks are 10 ms on Linux). */
function cpuMs(pid: number): { user: number; sys: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 10, sys: Number(fields[12]) * 10 };
}

async function load(
  scenario: Scenario,
  target: string,
  base: string,
  pid: number,
  tokens: Tokens,
  connections: number,
  seconds: number,
): Promise<Row> {
  const cpu0 = cpuMs(pid);
  const result = await autocannon({
    url: `${base}${scenario.path}`,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${tokens[scenario.token ?? 'token']}`,
    },
    body: scenario.body,
    connections,
    duration: seconds,
  });
  const cpu1 = cpuMs(pid);
  const sys = cpu1.sys - cpu0.sys;
  const cpu = cpu1.user - cpu0.user + sys;
  return {
    scenario: scenario.name,
    target,
    connections,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors:
      result.errors +
      result.timeouts +
      (scenario.status === undefined
        ? result.non2xx
        : result.requests.total - (result.statusCodeStats?.[`${scenario.status}`]?.count ?? 0)),
    cpuUs: result.requests.total > 0 ? (1000 * cpu) / result.requests.total : undefined,
    sysUs: result.requests.total > 0 ? (1000 * sys) / result.requests.total : undefined,
  };
}

/**
 * Sequential requests on one connection: time to the first body byte and to the end of the
 * answer, in ms (sub-millisecond resolution, which autocannon's histogram does not have).
 */
async function sequential(
  base: string,
  token: string,
  path: string,
  body: string,
  samples: number,
): Promise<{ first: { p50: number; p99: number }; total: { p50: number; p99: number } }> {
  const url = new URL(base);
  const pool = new Pool(url.origin, { connections: 1 });
  const firsts: number[] = [];
  const totals: number[] = [];
  for (let i = 0; i < samples + 50; i++) {
    const t0 = performance.now();
    const res = await pool.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    let first = 0;
    for await (const _chunk of res.body) if (!first) first = performance.now() - t0;
    const total = performance.now() - t0;
    if (i >= 50) {
      // the first 50 warm up connections and caches
      firsts.push(first);
      totals.push(total);
    }
  }
  await pool.close();
  const pct = (xs: number[]) => {
    xs.sort((a, b) => a - b);
    return { p50: xs[Math.floor(xs.length * 0.5)]!, p99: xs[Math.floor(xs.length * 0.99)]! };
  };
  return { first: pct(firsts), total: pct(totals) };
}

interface GatewayMemory {
  memory: NodeJS.MemoryUsage;
  /** Before the full collection (with --expose-gc only): live plus garbage. */
  beforeGc?: NodeJS.MemoryUsage;
  /** V8 heap space sizes, bytes (new_space, old_space, code_space…). */
  spaces: Record<string, number>;
  /** Collections since start. */
  gcs: { minor: number; major: number; ms: number };
}

/** One IPC question to the gateway; undefined if it does not answer in time. */
function ask<T>(child: ChildProcess, question: unknown, timeoutMs: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as T);
    });
    child.send(question as string);
  });
}

/** The gateway's own memory breakdown (after a full GC when it runs with --expose-gc). */
function memoryOf(child: ChildProcess): Promise<GatewayMemory | undefined> {
  return ask<GatewayMemory>(child, 'memory', 2_000);
}

/** BENCH_HEAP_SNAPSHOT=dir: a heap snapshot of the gateway, for Chrome DevTools' Memory tab. */
async function snapshot(child: ChildProcess, name: string): Promise<void> {
  const dir = process.env.BENCH_HEAP_SNAPSHOT;
  if (!dir) return;
  const file = path.join(path.resolve(dir), `gateway-${name}.heapsnapshot`);
  const answer = await ask<{ snapshot: string }>(child, { snapshot: file }, 120_000);
  process.stderr.write(answer ? `heap snapshot: ${answer.snapshot}\n` : `no heap snapshot (${name})\n`);
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
    const tokens = await seed(postgres.url, upstream.url);
    const { token } = tokens;
    const proxy = await start('raw-proxy.ts', { BENCH_UPSTREAM: upstream.url });
    const expressProxy = await start('express-proxy.ts', { BENCH_UPSTREAM: upstream.url });
    const gatewayEnv = {
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      AIRLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS: 'true',
      // Access log on, as in production; BENCH_GATEWAY_LOG_LEVEL=warn measures without it.
      LOG_LEVEL: process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'info',
    };
    // BENCH_GATEWAY_NODE_ARGS="--max-semi-space-size=4": V8 flags for the gateway only.
    const gatewayArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const gateway = await start('gateway-server.js', gatewayEnv, gatewayArgs);
    // The same gateway with its /v1 lane off (everything through Express's router), same run.
    const viaExpress = await start(
      'gateway-server.js',
      { ...gatewayEnv, BENCH_EXPRESS_ONLY: '1' },
      gatewayArgs,
    );
    const targets = [
      { name: 'direct (upstream)', ...upstream },
      { name: 'raw undici proxy', ...proxy },
      { name: 'express pass-through', ...expressProxy },
      { name: 'gateway (Express only)', ...viaExpress },
      { name: 'gateway', ...gateway },
      // BENCH_TARGETS=regex measures only the matching targets besides the upstream and the
      // gateway (the latency summary compares those two).
    ].filter(
      (t) =>
        !process.env.BENCH_TARGETS ||
        t.name === 'direct (upstream)' ||
        t.name === 'gateway' ||
        new RegExp(process.env.BENCH_TARGETS).test(t.name),
    );
    const idle = rssMb(gateway.child.pid!);
    const idleHeap = await memoryOf(gateway.child);
    await snapshot(gateway.child, 'idle');
    const warmUp = Math.min(4, SECONDS);
    // A fresh gateway runs its first seconds far slower (JIT, caches, pools): warm every
    // target once before anything is measured, on top of each run's own warm-up.
    for (const t of targets) await load(SCENARIOS[0]!, t.name, t.url, t.child.pid!, tokens, 16, 8);
    const rows: Row[] = [];
    // BENCH_ONLY=regex runs only the matching scenarios (while iterating on one path).
    const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
    for (const scenario of SCENARIOS.filter((s) => !only || only.test(s.name))) {
      for (const connections of scenario.connections) {
        for (const t of targets.filter((x) => scenario.targets.includes(x.name))) {
          process.stderr.write(`${scenario.name}: ${t.name} at ${connections} connections…\n`);
          const pid = t.child.pid!;
          await load(scenario, t.name, t.url, pid, tokens, connections, warmUp); // JIT, pools, caches
          rows.push(await load(scenario, t.name, t.url, pid, tokens, connections, SECONDS));
        }
      }
    }
    const chatJson = SCENARIOS[0]!;
    const latency = [];
    for (const t of targets) {
      process.stderr.write(`${t.name}: sequential latency and streaming time to first byte…\n`);
      const json = await sequential(t.url, token, chatJson.path, chatJson.body, TTFB_SAMPLES);
      const streamed = await sequential(t.url, token, SCENARIOS[1]!.path, SCENARIOS[1]!.body, TTFB_SAMPLES);
      latency.push({ name: t.name, json: json.total, ttfb: streamed.first });
    }
    const foreignTtfb = [];
    for (const scenario of SCENARIOS.filter((s) => s.name.endsWith('stream') && !s.name.startsWith('chat'))) {
      for (const t of targets.filter((x) => scenario.targets.includes(x.name))) {
        const r = await sequential(t.url, token, scenario.path, scenario.body, TTFB_SAMPLES);
        foreignTtfb.push({ scenario: scenario.name, name: t.name, ...r.first });
      }
    }
    const memory = rssMb(gateway.child.pid!);
    const heap = await memoryOf(gateway.child);
    await snapshot(gateway.child, 'after');

    const out: string[] = [];
    out.push(
      `Machine: ${(await import('node:os')).cpus().length} cores, Node ${process.version}; ${SECONDS} s per run; autocannon in the driver process.\n`,
    );
    out.push(
      '| scenario | target | connections | req/s | p50 ms | p99 ms | errors | CPU µs/req | of which kernel | req/s vs raw proxy | CPU vs raw proxy |',
    );
    out.push('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      // Translated routes are compared with the raw proxy's pass-through of the same API.
      const api = r.scenario.replace('translated', 'pass-through');
      const raw = rows.find(
        (x) => x.connections === r.connections && x.scenario === api && x.target === 'raw undici proxy',
      );
      const ratio = raw ? `${fmt((100 * r.rps) / raw.rps)} %` : '';
      const cpuRatio = raw?.cpuUs && r.cpuUs ? `${fmt(r.cpuUs / raw.cpuUs, 1)}×` : '';
      out.push(
        `| ${r.scenario} | ${r.target} | ${r.connections} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.errors} | ${r.cpuUs === undefined ? '' : fmt(r.cpuUs)} | ${r.sysUs === undefined ? '' : fmt(r.sysUs)} | ${ratio} | ${cpuRatio} |`,
      );
    }
    out.push('');
    out.push('| sequential, 1 connection | chat JSON p50 ms | p99 ms | chat stream TTFB p50 ms | p99 ms |');
    out.push('|---|---|---|---|---|');
    for (const l of latency)
      out.push(
        `| ${l.name} | ${fmt(l.json.p50, 2)} | ${fmt(l.json.p99, 2)} | ${fmt(l.ttfb.p50, 2)} | ${fmt(l.ttfb.p99, 2)} |`,
      );
    const d = latency[0]!;
    const g = latency[latency.length - 1]!;
    out.push('');
    out.push(
      `Gateway added latency over direct at 1 connection: JSON p50 ${signed(g.json.p50 - d.json.p50, 2)} ms, p99 ${signed(g.json.p99 - d.json.p99, 2)} ms; streaming TTFB p50 ${signed(g.ttfb.p50 - d.ttfb.p50, 2)} ms, p99 ${signed(g.ttfb.p99 - d.ttfb.p99, 2)} ms.`,
    );
    out.push('');
    out.push('| streaming TTFB, 1 connection | target | p50 ms | p99 ms |');
    out.push('|---|---|---|---|');
    for (const f of foreignTtfb)
      out.push(`| ${f.scenario} | ${f.name} | ${fmt(f.p50, 2)} | ${fmt(f.p99, 2)} |`);
    out.push('');
    out.push(
      `Gateway RSS idle ${fmt(idle.rss)} MB; after the runs ${fmt(memory.rss)} MB (peak ${fmt(memory.peak)} MB).`,
    );
    if (heap) {
      const mb = (n: number) => fmt(n / 2 ** 20);
      const used = (m: GatewayMemory | undefined) =>
        m ? `used ${mb(m.memory.heapUsed)} of ${mb(m.memory.heapTotal)} MB` : '?';
      out.push(
        `Gateway V8 heap${heap.beforeGc ? ' after a full GC' : ''}: idle ${used(idleHeap)}; after the runs ${used(heap)} (new space ${mb(heap.spaces.new_space ?? 0)} MB, old space ${mb(heap.spaces.old_space ?? 0)} MB), external ${mb(heap.memory.external)} MB (array buffers ${mb(heap.memory.arrayBuffers)} MB).`,
      );
      if (heap.beforeGc)
        out.push(
          `Gateway heap before that full GC: used ${mb(heap.beforeGc.heapUsed)} of ${mb(heap.beforeGc.heapTotal)} MB (live data is the "after" figure; the rest is garbage V8 let accumulate).`,
        );
      if (idleHeap) {
        const [minor, major, ms] = [
          heap.gcs.minor - idleHeap.gcs.minor,
          heap.gcs.major - idleHeap.gcs.major,
          heap.gcs.ms - idleHeap.gcs.ms,
        ];
        out.push(
          `Gateway collections during the runs: ${minor} minor, ${major} major, ${fmt(ms)} ms in all.`,
        );
      }
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
