// Issue 13: `npm start` offers a local Ollama's models when one answers at start-up (here a
// fake Ollama on a free port, named by AIRLOCK_DEMO_OLLAMA_URL), and nothing when none does:
// no upstream that could only fail, no banner line.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig, type Db } from '@airlock/common';
import { freePort, openTestDb, testDeps, type TestDeps } from '@airlock/common/testing';
import { rbacConfig, rbacModule } from '@airlock/rbac';
import { demoConfigSchema, demoModule } from '../../src/demo/module.js';
import { probeOllama } from '../../src/demo/local-ollama.js';

/** A fake Ollama: GET /api/tags lists the models it is given, anything else 404. */
async function fakeOllama(models: unknown[]): Promise<{ url: string; server: Server }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    if (req.url === '/api/tags') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ models }));
    } else {
      res.statusCode = 404;
      res.end('404 page not found');
    }
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, server };
}

const close = (s: Server) => new Promise((r) => s.close(r));

describe('demo: a local Ollama', () => {
  let testDb: Awaited<ReturnType<typeof openTestDb>>;
  let deps: TestDeps;
  let db: Db;
  let ollama: { url: string; server: Server };

  beforeAll(async () => {
    testDb = await openTestDb();
    db = testDb.db;
    deps = testDeps(db, {
      redisUrl: 'memory',
      env: { AIRLOCK_PUBLIC_URL: 'http://127.0.0.1:8080', AIRLOCK_REDIS_COMMAND_TIMEOUT_MS: '500' },
    });
    // The demo org as `npm start` creates it (its first policy names a local Ollama).
    const rbac = await rbacModule.init({ ...deps, moduleConfig: rbacConfig() });
    await rbac.seedDemo?.();
    ollama = await fakeOllama([
      { name: 'qwen2.5-coder:7b' },
      { name: 'llama3.2:latest' },
      { name: 'bad name!' },
    ]);
  });
  afterAll(async () => {
    await close(ollama.server);
    await deps.close();
    await testDb.close();
  });

  async function start(ollamaUrl: string): Promise<string[]> {
    const moduleConfig = parseConfig(demoConfigSchema, {
      NODE_ENV: 'test',
      AIRLOCK_DEMO: 'true',
      AIRLOCK_DEMO_OLLAMA_URL: ollamaUrl,
    });
    const instance = await demoModule.init({ ...deps, moduleConfig });
    return (await instance.seedDemo?.()) ?? [];
  }

  async function demoPolicy() {
    const org = await db.system.org.findUniqueOrThrow({ where: { slug: 'demo' } });
    const row = await db.system.orgPolicy.findFirstOrThrow({
      where: { orgId: org.id },
      orderBy: { version: 'desc' },
    });
    const upstreams = (row.document as { upstreams: { name: string; baseUrl: string; models: string[] }[] })
      .upstreams;
    return { version: row.version, upstreams };
  }

  it('offers nothing when no Ollama answers: no Ollama upstream, no banner line', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const banner = await start(nobody);
    expect(banner.join('\n')).toContain('DEMO MODE');
    expect(banner.join('\n')).not.toContain('Ollama');
    const { upstreams } = await demoPolicy();
    expect(upstreams.map((u) => u.name)).toEqual(['airlock-demo']);
  });

  it('offers the models of an Ollama that answers, by name, and says so in the banner', async () => {
    const banner = await start(ollama.url);
    expect(banner.join('\n')).toContain(
      `Local Ollama at ${ollama.url}: also offering llama3.2:latest, qwen2.5-coder:7b`,
    );
    const { upstreams, version } = await demoPolicy();
    expect(upstreams.map((u) => u.name)).toEqual(['airlock-demo', 'ollama']);
    expect(upstreams[1]).toMatchObject({
      baseUrl: `${ollama.url}/v1`,
      models: ['llama3.2:latest', 'qwen2.5-coder:7b'],
    });
    // A restart with the same Ollama writes no new policy version.
    await start(ollama.url);
    expect((await demoPolicy()).version).toBe(version);
  });

  it('does not take another server, or an Ollama without models, for a usable Ollama', async () => {
    const empty = await fakeOllama([]);
    try {
      expect(await probeOllama(empty.url)).toBeNull();
    } finally {
      await close(empty.server);
    }
    const notOllama = createServer((_req, res) => res.end('<html>hello</html>'));
    const port = await freePort();
    await new Promise<void>((r) => notOllama.listen(port, '127.0.0.1', r));
    try {
      expect(await probeOllama(`http://127.0.0.1:${port}`)).toBeNull();
    } finally {
      await close(notOllama);
    }
  });
});
