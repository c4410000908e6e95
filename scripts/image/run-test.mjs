#!/usr/bin/env node
// Starts the built image under an OCI runtime (runc) as the chart runs it and checks it works.
// Runs inside the test network namespace NETNS that scripts/test-image.sh made (nsenter --net,
// not `ip netns exec`, whose fresh /sys hides the cgroup mounts runc needs) (loopback, the fake
// upstream's address on lo, and a veth whose packet counters record any other dial).
//
// Per container: uid/gid 10001, read-only root, /tmp a tmpfs (the chart's emptyDir), no
// capabilities in any set, no_new_privs. Checks: `migrate` on an empty database; then
// --target=all and each single target reach /readyz; all and gateway answer a token-
// authenticated /v1/chat/completions from the fake upstream; inside the container the user,
// capabilities and read-only root are what the chart asks for and there is no shell; and no
// packet left through the veth (nothing dialled anything but the test's listeners).
//
// Env: ROOTFS (unpacked image), RUN_DIR, PG_SOCK, REDIS_SOCK (bridges to the host's servers),
// PG_ADMIN_URL, PG_APP_ROLE, REDIS_URL (the host's addresses; the same ports are bridged here),
// UPSTREAM_IP, NETNS, RECORDER (veth name), IMAGE_CONFIG (the image's config JSON), RUNTIME.
// Prints "N passed, M failed"; exits 1 on any failure.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, writeFileSync, closeSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { bridge } from './bridge.mjs';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const ROOTFS = env('ROOTFS');
const RUN_DIR = env('RUN_DIR');
const RUNTIME = process.env.RUNTIME ?? 'runc';
const UPSTREAM_IP = env('UPSTREAM_IP');
const RECORDER = env('RECORDER');
const imageConfig = JSON.parse(readFileSync(env('IMAGE_CONFIG'), 'utf8')).config;
const pgAdmin = new URL(env('PG_ADMIN_URL'));
const redisUrl = new URL(env('REDIS_URL'));

let passed = 0;
let failed = 0;
const log = (s) => process.stdout.write(`${s}\n`);
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || !detail ? '' : `: ${detail}`}`);
  return ok;
}
const NETNS = env('NETNS');
const counters = () => {
  const [link] = JSON.parse(
    execFileSync('ip', ['-n', NETNS, '-j', '-s', 'link', 'show', RECORDER], { encoding: 'utf8' }),
  );
  return { packets: link.stats64.tx.packets, bytes: link.stats64.tx.bytes };
};

// ---- the test's listeners in this namespace ---------------------------------------------------
const servers = [
  await bridge({ host: '127.0.0.1', port: Number(pgAdmin.port) }, { path: env('PG_SOCK') }),
  await bridge({ host: '127.0.0.1', port: Number(redisUrl.port) }, { path: env('REDIS_SOCK') }),
];
const received = [];
const upstream = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    received.push({ path: req.url, body });
    const model = JSON.parse(body || '{}').model ?? 'm';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-image',
        object: 'chat.completion',
        created: 1,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'from the fake upstream' },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      }),
    );
  });
});
await new Promise((resolve) => upstream.listen(8000, UPSTREAM_IP, resolve));
servers.push(upstream);

// ---- database ---------------------------------------------------------------------------------
const dbName = `airlock_image_${randomBytes(4).toString('hex')}`;
const appRole = process.env.PG_APP_ROLE ?? 'airlock';
const admin = new pg.Client({ connectionString: pgAdmin.href });
await admin.connect();
await admin.query(`CREATE DATABASE "${dbName}" OWNER "${appRole}"`);
const appDbUrl = `postgresql://${appRole}@127.0.0.1:${pgAdmin.port}/${dbName}`;
const before = counters();

const baseEnv = [
  ...imageConfig.Env,
  `DATABASE_URL=${appDbUrl}`,
  `REDIS_URL=${redisUrl.href}`,
  `AIRLOCK_ENCRYPTION_KEY=${randomBytes(32).toString('base64')}`,
  `AIRLOCK_BOOTSTRAP_TOKEN=${randomBytes(24).toString('base64url')}`,
  'AIRLOCK_PUBLIC_URL=https://airlock.example.test',
  `AIRLOCK_ALLOWED_UPSTREAM_HOSTS=${UPSTREAM_IP}`,
  'AIRLOCK_AIRGAPPED=true',
  'LOG_LEVEL=warn',
  'AIRLOCK_DB_WAIT_SECONDS=30',
  'AIRLOCK_SHUTDOWN_DELAY_SECONDS=0',
];

let seq = 0;
/** An OCI runtime spec as the chart's securityContext asks (runAsUser 10001, read-only root, drop ALL). */
function spec(args) {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 10001, gid: 10001 },
      args: [...imageConfig.Entrypoint, ...args],
      env: baseEnv,
      cwd: imageConfig.WorkingDir,
      capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
      noNewPrivileges: true,
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 4096, soft: 4096 }],
    },
    root: { path: ROOTFS, readonly: true },
    hostname: 'airlock',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      {
        destination: '/tmp',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', 'mode=1777', 'size=65536k'],
      },
      // Any name lookup goes to an address behind the recording veth, so it would be counted.
      {
        destination: '/etc/resolv.conf',
        type: 'bind',
        source: path.join(RUN_DIR, 'resolv.conf'),
        options: ['rbind', 'ro'],
      },
    ],
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'network', path: `/var/run/netns/${NETNS}` },
      ],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** Starts a container in the foreground of a child process; returns its id, exit promise and log. */
function start(name, args) {
  const id = `airlock-image-${process.pid}-${++seq}-${name}`;
  const bundle = path.join(RUN_DIR, id);
  mkdirSync(bundle, { recursive: true });
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec(args)));
  const logFile = path.join(RUN_DIR, `${id}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(RUNTIME, ['run', '--bundle', bundle, id], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return { id, exited, logText: () => readFileSync(logFile, 'utf8') };
}

async function stop(c) {
  try {
    execFileSync(RUNTIME, ['kill', c.id, 'TERM'], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
  const code = await Promise.race([c.exited, sleep(20_000).then(() => 'timeout')]);
  if (code === 'timeout') execFileSync(RUNTIME, ['kill', c.id, 'KILL'], { stdio: 'ignore' });
  await c.exited;
  execFileSync(RUNTIME, ['delete', '--force', c.id], { stdio: 'ignore' });
  return code;
}

function request(port, method, urlPath, headers = {}, body) {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: urlPath, headers, timeout: 10_000 },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('error', (e) => resolve({ status: 0, text: e.message }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

/** Polls /readyz until 200, the container exits, or 90 s pass (a deadline, not an assertion on speed). */
async function ready(c) {
  let exited = false;
  c.exited.then(() => (exited = true));
  const deadline = Date.now() + 90_000;
  while (!exited && Date.now() < deadline) {
    const r = await request(9090, 'GET', '/readyz');
    if (r.status === 200) return true;
    await sleep(250);
  }
  return false;
}

async function seedTenant() {
  const db = new pg.Client({ connectionString: new URL(`/${dbName}`, pgAdmin).href });
  await db.connect();
  try {
    const token = `al_${randomBytes(24).toString('base64url')}`;
    const org = await db.query(
      `INSERT INTO orgs (id, slug, name, allowed_email_domains, updated_at) VALUES (gen_random_uuid(), 'image-test', 'image test', '{}', now()) RETURNING id`,
    );
    const orgId = org.rows[0].id;
    const policy = {
      models: { allow: { member: ['llama-*'] } },
      upstreams: [
        {
          name: 'vllm',
          baseUrl: `http://${UPSTREAM_IP}:8000/v1`,
          kind: 'onprem',
          provider: 'vllm',
          models: ['llama-*'],
        },
      ],
    };
    await db.query(`INSERT INTO org_policies (org_id, version, document) VALUES ($1, 1, $2)`, [
      orgId,
      policy,
    ]);
    const user = await db.query(
      `INSERT INTO users (id, email, updated_at) VALUES (gen_random_uuid(), 'image@example.test', now()) RETURNING id`,
    );
    const userId = user.rows[0].id;
    await db.query(
      `INSERT INTO memberships (org_id, user_id, role, updated_at) VALUES ($1, $2, 'member', now())`,
      [orgId, userId],
    );
    await db.query(
      `INSERT INTO api_tokens (id, org_id, user_id, name, prefix, token_hash) VALUES (gen_random_uuid(), $1, $2, 'image', $3, $4)`,
      [orgId, userId, token.slice(0, 8), createHash('sha256').update(token, 'utf8').digest('hex')],
    );
    return token;
  } finally {
    await db.end();
  }
}

async function chat(token, label) {
  const n = received.length;
  const r = await request(
    8080,
    'POST',
    '/v1/chat/completions',
    { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    JSON.stringify({ model: 'llama-3', messages: [{ role: 'user', content: 'hi' }] }),
  );
  let content;
  try {
    content = JSON.parse(r.text).choices?.[0]?.message?.content;
  } catch {
    content = undefined;
  }
  check(
    `${label}: token-authenticated /v1/chat/completions answers from the fake upstream`,
    r.status === 200 && content === 'from the fake upstream' && received.length === n + 1,
    `${r.status} ${r.text.slice(0, 200)}`,
  );
  const bad = await request(
    8080,
    'POST',
    '/v1/chat/completions',
    { authorization: 'Bearer al_wrong', 'content-type': 'application/json' },
    '{}',
  );
  check(`${label}: a wrong token is refused with 401`, bad.status === 401, `${bad.status}`);
}

/** What the chart's securityContext promises, seen from inside the running container. */
function inside(c) {
  const probe = `const fs=require('fs');const s=fs.readFileSync('/proc/self/status','utf8');
let w='written';try{fs.writeFileSync('/app/x','')}catch(e){w=e.code}
let t='failed';try{fs.writeFileSync('/tmp/x','');t='ok'}catch(e){}
console.log(JSON.stringify({uid:process.getuid(),gid:process.getgid(),
capEff:/CapEff:\\s*(\\w+)/.exec(s)[1],capBnd:/CapBnd:\\s*(\\w+)/.exec(s)[1],nnp:/NoNewPrivs:\\s*(\\d)/.exec(s)[1],
app:w,tmp:t,shell:['/bin/sh','/usr/bin/sh','/bin/bash','/usr/bin/apt','/usr/bin/dpkg'].filter(p=>fs.existsSync(p))}))`;
  const out = execFileSync(
    RUNTIME,
    ['exec', '--user', '10001:10001', c.id, '/usr/local/bin/node', '-e', probe],
    { encoding: 'utf8' },
  );
  const got = JSON.parse(out.trim());
  check('runs as uid/gid 10001', got.uid === 10001 && got.gid === 10001, JSON.stringify(got));
  check(
    'no capabilities (effective and bounding sets empty), no_new_privs',
    /^0+$/.test(got.capEff) && /^0+$/.test(got.capBnd) && got.nnp === '1',
    JSON.stringify(got),
  );
  check(
    'root file system is read-only (EROFS on /app), /tmp writable',
    got.app === 'EROFS' && got.tmp === 'ok',
    JSON.stringify(got),
  );
  check('no shell and no package manager in the image', got.shell.length === 0, got.shell.join(' '));
}

writeFileSync(path.join(RUN_DIR, 'resolv.conf'), 'nameserver 192.0.2.53\n');
try {
  const migrate = start('migrate', ['migrate']);
  const code = await Promise.race([migrate.exited, sleep(180_000).then(() => 'timeout')]);
  check(
    'migrate applies the migrations to an empty database and exits 0',
    code === 0,
    `exit ${code}: ${migrate.logText().slice(-2000)}`,
  );
  execFileSync(RUNTIME, ['delete', '--force', migrate.id], { stdio: 'ignore' });
  const token = code === 0 ? await seedTenant() : '';

  for (const target of code === 0 ? ['all', 'identity', 'rbac', 'gateway', 'audit'] : []) {
    const c = start(target, [`--target=${target}`]);
    const ok = check(`--target=${target}: /readyz is 200`, await ready(c), c.logText().slice(-2000));
    if (ok && (target === 'all' || target === 'gateway')) await chat(token, `--target=${target}`);
    if (ok && target === 'all') inside(c);
    const exit = await stop(c);
    check(`--target=${target}: exits 0 on SIGTERM`, exit === 0, `exit ${exit}: ${c.logText().slice(-1000)}`);
  }
} finally {
  const after = counters();
  check(
    'nothing dialled anything but the test listeners (no packet left through the recording veth)',
    after.packets === before.packets && after.bytes === before.bytes,
    `${after.packets - before.packets} packets, ${after.bytes - before.bytes} bytes`,
  );
  // The recorder itself: a dial to an outside address (TEST-NET-3, routed into the veth whose
  // peer namespace drops everything) must show up in the counters, or the check above is void.
  await new Promise((resolve) => {
    const s = net.connect({ host: '203.0.113.9', port: 9, timeout: 1000 });
    s.on('error', resolve).on('timeout', () => (s.destroy(), resolve()));
  });
  check('the recording veth counts an outside dial', counters().packets > after.packets);
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => {});
  await admin.end();
  for (const s of servers) s.close();
}
log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
