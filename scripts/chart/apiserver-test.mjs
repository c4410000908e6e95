#!/usr/bin/env node
// Installs, upgrades, rolls back and uninstalls the chart against a real kube-apiserver (with
// etcd) started here on 127.0.0.1, and checks what Helm and the chart did.
//
// There is no kubelet, scheduler or controller-manager, so no pod ever runs. Helm waits for
// hook Jobs to complete; this script plays the Job controller's part: when a Job appears it
// records which objects exist at that moment (that is how the hook order is checked) and then
// marks the Job complete through the status subresource.
//
// Env: KUBE_APISERVER, ETCD, HELM (binaries). Prints "N passed, M failed" and exits 1 on failure.
import { Buffer } from 'node:buffer';
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const chart = path.join(root, 'charts/airlock');
const bin = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const KUBE_APISERVER = bin('KUBE_APISERVER');
const ETCD = bin('ETCD');
const HELM = bin('HELM');
const NS = 'airlock';
const log = (s) => process.stdout.write(`${s}\n`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'airlock-apiserver-'));
const children = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function start(name, cmd, args) {
  const out = path.join(tmp, `${name}.log`);
  const fd = openSync(out, 'w');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
  children.push({ name, child, out });
  return child;
}

function stopAll() {
  for (const { child } of children.reverse()) {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
}

const token = randomBytes(24).toString('hex');
let apiPort = 0;
let ca = Buffer.alloc(0);

function api(method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: apiPort,
        path: urlPath,
        method,
        ca,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        timeout: 10_000,
      },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => {
          let parsed = data;
          try {
            parsed = JSON.parse(data);
          } catch {
            /* plain text (readyz) */
          }
          resolve({ status: res.statusCode, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    if (body) req.write(JSON.stringify(body));
    req.end();
  });
}

const PATHS = {
  Secret: `/api/v1/namespaces/${NS}/secrets`,
  ConfigMap: `/api/v1/namespaces/${NS}/configmaps`,
  Service: `/api/v1/namespaces/${NS}/services`,
  ServiceAccount: `/api/v1/namespaces/${NS}/serviceaccounts`,
  Deployment: `/apis/apps/v1/namespaces/${NS}/deployments`,
  StatefulSet: `/apis/apps/v1/namespaces/${NS}/statefulsets`,
  Job: `/apis/batch/v1/namespaces/${NS}/jobs`,
  NetworkPolicy: `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`,
  Ingress: `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`,
  PodDisruptionBudget: `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`,
};

async function list(kind) {
  const r = await api('GET', PATHS[kind]);
  if (r.status === 404) return [];
  if (r.status !== 200) throw new Error(`list ${kind}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.items;
}
const names = async (kind) => (await list(kind)).map((o) => o.metadata.name).sort();
async function get(kind, name) {
  const r = await api('GET', `${PATHS[kind]}/${name}`);
  return r.status === 200 ? r.body : undefined;
}

// ---- the stand-in Job controller ----
const jobRuns = [];
let completing = true;
async function completeJobs() {
  while (completing) {
    try {
      for (const job of await list('Job')) {
        if (jobRuns.some((r) => r.uid === job.metadata.uid)) continue;
        const seen = {
          uid: job.metadata.uid,
          name: job.metadata.name,
          secrets: await names('Secret'),
          statefulSets: await names('StatefulSet'),
          deployments: await names('Deployment'),
          configMaps: await names('ConfigMap'),
        };
        jobRuns.push(seen);
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        const cond = (type) => ({
          type,
          status: 'True',
          lastProbeTime: now,
          lastTransitionTime: now,
          reason: 'CompletionsReached',
          message: 'completed by the test',
        });
        job.status = {
          startTime: now,
          completionTime: now,
          succeeded: 1,
          conditions: [cond('SuccessCriteriaMet'), cond('Complete')],
        };
        const r = await api('PUT', `${PATHS.Job}/${job.metadata.name}/status`, job);
        if (r.status !== 200)
          throw new Error(`completing Job ${job.metadata.name}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    } catch (e) {
      log(`job completer: ${e.message}`);
    }
    await sleep(150);
  }
}

let kubeconfig = '';
function helm(args) {
  return new Promise((resolve) => {
    execFile(
      HELM,
      args,
      { env: { ...process.env, KUBECONFIG: kubeconfig }, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ ok: !err, stdout, stderr }),
    );
  });
}

// ---- assertions ----
const results = [];
function check(name, fn) {
  return Promise.resolve()
    .then(fn)
    .then(
      () => {
        results.push({ name, ok: true });
        log(`  ok   ${name}`);
      },
      (e) => {
        results.push({ name, ok: false });
        log(`  FAIL ${name}\n       ${String(e.message).split('\n').join('\n       ')}`);
      },
    );
}
function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: got ${a}, want ${b}`);
}
function assert(cond, what) {
  if (!cond) throw new Error(what);
}
const decode = (s) => Buffer.from(s ?? '', 'base64').toString('utf8');

async function main() {
  const [etcdClient, etcdPeer] = [await freePort(), await freePort()];
  apiPort = await freePort();
  start('etcd', ETCD, [
    '--name=airlock-test',
    `--data-dir=${path.join(tmp, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=airlock-test=http://127.0.0.1:${etcdPeer}`,
  ]);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(path.join(tmp, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(path.join(tmp, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(path.join(tmp, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`);
  const certDir = path.join(tmp, 'certs');
  start('kube-apiserver', KUBE_APISERVER, [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--cert-dir=${certDir}`,
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${path.join(tmp, 'sa.pub')}`,
    `--service-account-signing-key-file=${path.join(tmp, 'sa.key')}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    `--token-auth-file=${path.join(tmp, 'tokens.csv')}`,
    '--authorization-mode=AlwaysAllow',
  ]);

  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      ca = readFileSync(path.join(certDir, 'apiserver.crt'));
      const r = await api('GET', '/readyz');
      if (r.status === 200) break;
    } catch {
      /* not up yet */
    }
    for (const c of children)
      if (c.child.exitCode !== null) throw new Error(`${c.name} exited; see ${c.out}`);
    if (Date.now() > deadline) throw new Error(`kube-apiserver not ready after 90 s; see ${tmp}`);
    await sleep(500);
  }
  const version = (await api('GET', '/version')).body.gitVersion;
  log(`kube-apiserver ${version} ready on 127.0.0.1:${apiPort} (etcd 127.0.0.1:${etcdClient})`);

  kubeconfig = path.join(tmp, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: test',
      '  cluster:',
      `    server: https://127.0.0.1:${apiPort}`,
      `    certificate-authority: ${path.join(certDir, 'apiserver.crt')}`,
      'users:',
      '- name: admin',
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: test',
      '  context: {cluster: test, user: admin}',
      'current-context: test',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );

  const completer = completeJobs();
  const values = ['-f', path.join(chart, 'ci/evaluation-values.yaml')];
  const base = ['--namespace', NS, '--timeout', '90s'];

  log('helm install (evaluation scenario)');
  const install = await helm(['install', 'airlock', chart, ...base, '--create-namespace', ...values]);
  await check('helm install succeeds', () => assert(install.ok, install.stderr));
  await check('NOTES.txt tells how to read the bootstrap token and warns about evaluation mode', () => {
    assert(install.stdout.includes('TOKEN="$(kubectl -n airlock get secret airlock-secrets'), install.stdout);
    assert(install.stdout.includes('WARNING: evaluation.enabled'), install.stdout);
  });
  const firstRun = jobRuns.find((r) => r.name === 'airlock-migrate');
  await check('the migration Job ran once, after the chart Secret and the evaluation datastores', () => {
    assertEqual(
      jobRuns.map((r) => r.name),
      ['airlock-migrate'],
      'Jobs seen',
    );
    assert(firstRun.secrets.includes('airlock-secrets'), `Secrets when the Job ran: ${firstRun.secrets}`);
    assertEqual(
      firstRun.statefulSets,
      ['airlock-postgres', 'airlock-redis'],
      'StatefulSets when the Job ran',
    );
  });
  await check('no ordinary release object existed while the migration Job ran', () => {
    assertEqual(firstRun.deployments, [], 'Deployments when the Job ran');
    assert(!firstRun.configMaps.includes('airlock-config'), 'the ConfigMap existed before the Job');
  });
  await check('the release objects exist after install', async () => {
    assertEqual(
      await names('Deployment'),
      ['airlock-audit', 'airlock-gateway', 'airlock-identity', 'airlock-rbac'],
      'Deployments',
    );
    assertEqual(
      await names('Service'),
      [
        'airlock-audit',
        'airlock-gateway',
        'airlock-identity',
        'airlock-postgres',
        'airlock-rbac',
        'airlock-redis',
      ],
      'Services',
    );
    assertEqual(await names('Ingress'), ['airlock'], 'Ingresses');
    assertEqual((await names('NetworkPolicy')).length, 9, 'NetworkPolicy count');
    assertEqual((await names('PodDisruptionBudget')).length, 4, 'PodDisruptionBudget count');
    const sas = await list('ServiceAccount');
    assert(
      sas.length === 4 && sas.every((s) => s.automountServiceAccountToken === false),
      'ServiceAccounts without automounted tokens',
    );
  });
  const status = await helm(['status', 'airlock', '--namespace', NS, '-o', 'json']);
  await check('helm records the release as deployed', () =>
    assertEqual(JSON.parse(status.stdout).info.status, 'deployed', 'status'),
  );

  const secret1 = await get('Secret', 'airlock-secrets');
  const checksums = async () => {
    const d = await get('Deployment', 'airlock-gateway');
    const a = d.spec.template.metadata.annotations;
    return { config: a['checksum/config'], secret: a['checksum/secret'] };
  };
  const before = await checksums();
  await check('the generated secrets are well-formed', () => {
    assertEqual(
      Buffer.from(decode(secret1.data.AIRLOCK_ENCRYPTION_KEY), 'base64').length,
      32,
      'encryption key bytes',
    );
    assert(decode(secret1.data.AIRLOCK_BOOTSTRAP_TOKEN).length >= 32, 'bootstrap token length');
  });

  log('helm upgrade (global.logLevel=debug)');
  const upgrade = await helm([
    'upgrade',
    'airlock',
    chart,
    ...base,
    ...values,
    '--set',
    'global.logLevel=debug',
  ]);
  await check('helm upgrade succeeds and re-runs the migration Job', () => {
    assert(upgrade.ok, upgrade.stderr);
    assertEqual(
      jobRuns.map((r) => r.name),
      ['airlock-migrate', 'airlock-migrate'],
      'Jobs seen',
    );
  });
  const secret2 = await get('Secret', 'airlock-secrets');
  const after = await checksums();
  await check('the upgrade keeps every generated secret (lookup), so checksum/secret is unchanged', () => {
    for (const k of [
      'AIRLOCK_ENCRYPTION_KEY',
      'AIRLOCK_BOOTSTRAP_TOKEN',
      'POSTGRES_PASSWORD',
      'REDIS_PASSWORD',
      'DATABASE_URL',
    ]) {
      assert(secret2.data[k] === secret1.data[k], `${k} changed on upgrade`);
    }
    assertEqual(after.secret, before.secret, 'checksum/secret');
  });
  await check('the upgrade applies the new setting and rolls the pods (checksum/config)', async () => {
    assertEqual((await get('ConfigMap', 'airlock-config')).data.LOG_LEVEL, 'debug', 'LOG_LEVEL');
    assert(after.config !== before.config, 'checksum/config did not change');
  });

  log('helm upgrade with the chart Secret deleted');
  const saved = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: secret2.type,
    data: secret2.data,
    metadata: {
      name: secret2.metadata.name,
      labels: secret2.metadata.labels,
      annotations: secret2.metadata.annotations,
    },
  };
  await api('DELETE', `${PATHS.Secret}/airlock-secrets`);
  const guarded = await helm(['upgrade', 'airlock', chart, ...base, ...values]);
  await check('an upgrade refuses to generate a new encryption key when the Secret is gone', () => {
    assert(!guarded.ok, 'the upgrade succeeded');
    assert(guarded.stderr.includes('Refusing to generate a new one on upgrade'), guarded.stderr);
    assert(!jobRuns.slice(2).length, 'a migration Job ran');
  });
  const restored = await api('POST', PATHS.Secret, saved);
  if (restored.status !== 201) throw new Error(`restoring the Secret: ${restored.status}`);

  log('helm rollback to revision 1');
  const rollback = await helm(['rollback', 'airlock', '1', '--namespace', NS, '--timeout', '90s']);
  await check(
    'helm rollback restores the configuration, leaves the Secret and runs no migration',
    async () => {
      assert(rollback.ok, rollback.stderr);
      assertEqual((await get('ConfigMap', 'airlock-config')).data.LOG_LEVEL, 'info', 'LOG_LEVEL');
      assertEqual(
        (await get('Secret', 'airlock-secrets'))?.data.AIRLOCK_ENCRYPTION_KEY,
        secret1.data.AIRLOCK_ENCRYPTION_KEY,
        'encryption key',
      );
      assertEqual(jobRuns.length, 2, 'migration runs');
    },
  );

  log('helm uninstall');
  const uninstall = await helm(['uninstall', 'airlock', '--namespace', NS, '--timeout', '90s']);
  await check('helm uninstall removes the release objects and keeps the encryption key', async () => {
    assert(uninstall.ok, uninstall.stderr);
    assertEqual(await names('Deployment'), [], 'Deployments');
    assertEqual(await names('ConfigMap'), [], 'ConfigMaps');
    assertEqual(await names('NetworkPolicy'), [], 'NetworkPolicies');
    assertEqual(
      (await get('Secret', 'airlock-secrets'))?.data.AIRLOCK_ENCRYPTION_KEY,
      secret1.data.AIRLOCK_ENCRYPTION_KEY,
      'kept encryption key',
    );
  });

  log('helm install again into the same namespace');
  const reinstall = await helm(['install', 'airlock', chart, ...base, ...values]);
  await check('a re-install reuses the kept encryption key', async () => {
    assert(reinstall.ok, reinstall.stderr);
    assertEqual(
      (await get('Secret', 'airlock-secrets')).data.AIRLOCK_ENCRYPTION_KEY,
      secret1.data.AIRLOCK_ENCRYPTION_KEY,
      'encryption key',
    );
  });

  completing = false;
  await completer;
}

let failedToRun = false;
try {
  await main();
} catch (e) {
  failedToRun = true;
  log(`apiserver test could not run: ${e.stack ?? e}`);
  for (const c of children) {
    log(`--- last lines of ${c.name} ---`);
    log(readFileSync(c.out, 'utf8').split('\n').slice(-15).join('\n'));
  }
} finally {
  completing = false;
  stopAll();
}
const failed = results.filter((r) => !r.ok).length + (failedToRun ? 1 : 0);
log(`${results.length - results.filter((r) => !r.ok).length} passed, ${failed} failed`);
if (!failed) rmSync(tmp, { recursive: true, force: true });
else log(`logs kept in ${tmp}`);
process.exit(failed ? 1 : 0);
