import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { openTestDb, testEnv, waitFor } from '../../testing/index.js';
import type { Db } from '../../src/db/client.js';
import { openRedis, type RedisHandle } from '../../src/redis/client.js';
import { createLogger } from '../../src/logger.js';
import { generateToken, sha256Hex } from '../../src/crypto/tokens.js';
import {
  AUTH_INVALIDATION_CHANNEL,
  createPrincipalResolver,
  type PrincipalResolver,
} from '../../src/auth/resolver.js';
import { authenticate, principalOf } from '../../src/auth/middleware.js';
import { errorHandler } from '../../src/http/error-handler.js';

const logger = createLogger({ level: 'silent', service: 'test' });

describe('principal resolver', () => {
  let db: Db;
  let close: () => Promise<void>;
  let redis: RedisHandle;
  let resolver: PrincipalResolver;
  let orgId: string;
  let userId: string;
  const frozen = new Date();

  beforeAll(async () => {
    ({ db, close } = await openTestDb());
    redis = openRedis({ url: testEnv.redisUrl, nodeEnv: 'test', commandTimeoutMs: 2_000 });
    // Frozen clock: cached entries never expire by TTL, so only invalidations drop them.
    resolver = createPrincipalResolver({ db, redis, logger, clock: () => frozen });
    await resolver.start();
    orgId = (await db.system.org.create({ data: { slug: 'r-org', name: 'r' } })).id;
    userId = (await db.prisma.user.create({ data: { email: 'r@example.com' } })).id;
    await db.system.membership.create({ data: { orgId, userId, role: 'member' } });
  });
  afterAll(async () => {
    await resolver.stop();
    await redis.close();
    await close();
  });

  async function token(): Promise<{ token: string; id: string }> {
    const t = generateToken('al');
    const row = await db.forOrg(orgId).apiToken.create({
      data: { orgId, userId, name: 't', prefix: t.slice(0, 9), tokenHash: sha256Hex(t) },
    });
    return { token: t, id: row.id };
  }

  it('does not revive a token or session of a removed member who is added back', async () => {
    const other = (await db.prisma.user.create({ data: { email: 'readded@example.com' } })).id;
    await db.system.membership.create({
      data: { orgId, userId: other, role: 'member', createdAt: new Date(frozen.getTime() - 3_600_000) },
    });
    const t = generateToken('al');
    await db.system.apiToken.create({
      data: {
        orgId,
        userId: other,
        name: 'old',
        prefix: t.slice(0, 9),
        tokenHash: sha256Hex(t),
        createdAt: new Date(frozen.getTime() - 600_000),
      },
    });
    const cookie = generateToken('s');
    await db.system.session.create({
      data: {
        tokenHash: sha256Hex(cookie),
        userId: other,
        orgId,
        createdAt: new Date(frozen.getTime() - 600_000),
        lastSeenAt: frozen,
        idleExpiresAt: new Date(frozen.getTime() + 3_600_000),
        absoluteExpiresAt: new Date(frozen.getTime() + 7_200_000),
      },
    });
    expect(await resolver.fromBearer(t)).not.toBeNull();
    expect(await resolver.fromSession(cookie)).not.toBeNull();
    // Removed, then added back (a new membership row, begun after both credentials).
    await db.system.membership.delete({ where: { orgId_userId: { orgId, userId: other } } });
    await db.system.membership.create({ data: { orgId, userId: other, role: 'member', createdAt: frozen } });
    await resolver.invalidate({ type: 'user', id: other });
    expect(await resolver.fromBearer(t)).toBeNull();
    expect(await resolver.fromSession(cookie)).toBeNull();
  });

  it('keys lookups on the full secret: a token sharing a prefix with a valid one is refused', async () => {
    const { token: t } = await token();
    expect(await resolver.fromBearer(t)).not.toBeNull();
    const sibling = `${t.slice(0, 20)}${'A'.repeat(t.length - 20)}`;
    expect(await resolver.fromBearer(sibling)).toBeNull();
  });

  it('clears its whole cache on a malformed invalidation message instead of ignoring it', async () => {
    const { token: t, id } = await token();
    expect((await resolver.fromBearer(t))?.tokenId).toBe(id);
    await db.forOrg(orgId).apiToken.update({ where: { id }, data: { revokedAt: frozen } });
    expect(await resolver.fromBearer(t)).not.toBeNull(); // still cached
    await redis.client.publish(AUTH_INVALIDATION_CHANNEL, JSON.stringify({ type: 'user', id: 'not-a-uuid' }));
    // The frozen clock keeps the entry past any TTL: only the message can drop it.
    await waitFor(async () => (await resolver.fromBearer(t)) === null);
    expect(await resolver.fromBearer(t)).toBeNull();
  });

  it('does not cache a lookup that an invalidation overtook (it may have read the credential before its revocation)', async () => {
    const { token: t, id } = await token();
    const inFlight = resolver.fromBearer(t); // reads the still-live token
    await resolver.invalidate({ type: 'credential', hash: sha256Hex(t) }); // arrives mid-lookup
    expect((await inFlight)?.tokenId).toBe(id);
    // The revocation the invalidation announced: the frozen clock keeps any cached entry
    // forever, so only "not cached" lets the next lookup see it.
    await db.forOrg(orgId).apiToken.update({ where: { id }, data: { revokedAt: frozen } });
    expect(await resolver.fromBearer(t)).toBeNull();
  });

  /**
   * A resolver on the same database whose credential reads are counted and, while `hold` is
   * set, finish only when it is released (after the row was read: a lookup that has seen the
   * credential and not yet answered).
   */
  function observed(): {
    resolver: PrincipalResolver;
    reads: () => number;
    hold: () => () => void;
    fail: (e: Error | undefined) => void;
  } {
    let reads = 0;
    let gate: Promise<void> | undefined;
    let failure: Error | undefined;
    const sql = {
      ...db.sql,
      inScope: ((scope, fn) =>
        db.sql.inScope(scope, (q) =>
          fn((async (text: string, params?: readonly unknown[]) => {
            if (!text.trimStart().startsWith('SELECT')) return q(text, params);
            reads++;
            if (failure) throw failure;
            const rows = await q(text, params);
            await gate;
            return rows;
          }) as typeof q),
        )) as Db['sql']['inScope'],
    };
    const counted = Object.assign(Object.create(db) as Db, { sql });
    return {
      resolver: createPrincipalResolver({ db: counted, redis, logger, clock: () => frozen }),
      reads: () => reads,
      hold: () => {
        let release!: () => void;
        gate = new Promise((r) => (release = r));
        return () => {
          gate = undefined;
          release();
        };
      },
      fail: (e) => (failure = e),
    };
  }

  it('lets concurrent lookups of one credential share one read', async () => {
    const { token: t, id } = await token();
    const { resolver: r, reads, hold } = observed();
    const release = hold();
    const lookups = Array.from({ length: 10 }, () => r.fromBearer(t));
    release();
    const principals = await Promise.all(lookups);
    expect(principals.map((p) => p?.tokenId)).toEqual(Array(10).fill(id));
    expect(reads()).toBe(1);
    expect((await r.fromBearer(t))?.tokenId).toBe(id); // cached: no read
    expect(reads()).toBe(1);
  });

  it('does not let a lookup after an invalidation join a read made before it', async () => {
    const { token: t, id } = await token();
    const { resolver: r, reads, hold } = observed();
    const release = hold();
    const before = r.fromBearer(t); // reads the live token, then waits
    await waitFor(async () => reads() === 1);
    await db.forOrg(orgId).apiToken.update({ where: { id }, data: { revokedAt: frozen } });
    await r.invalidate({ type: 'credential', hash: sha256Hex(t) });
    const after = r.fromBearer(t); // must read again, not share the read made before the revocation
    release();
    expect((await before)?.tokenId).toBe(id); // answers the request it was made for
    expect(await after).toBeNull();
    expect(reads()).toBe(2);
    expect(await r.fromBearer(t)).toBeNull(); // and the stale answer was not cached
  });

  it('rejects every lookup sharing a failed read, and reads again on the next one', async () => {
    const { token: t, id } = await token();
    const { resolver: r, reads, fail } = observed();
    fail(new Error('database down'));
    const results = await Promise.allSettled([r.fromBearer(t), r.fromBearer(t), r.fromBearer(t)]);
    expect(results.map((x) => x.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(reads()).toBe(1);
    fail(undefined);
    expect((await r.fromBearer(t))?.tokenId).toBe(id);
    expect(reads()).toBe(2);
  });

  it('drops a user’s cached principals on a user invalidation from another replica', async () => {
    const { token: t, id } = await token();
    expect(await resolver.fromBearer(t)).not.toBeNull();
    await db.forOrg(orgId).apiToken.update({ where: { id }, data: { revokedAt: frozen } });
    await redis.client.publish(AUTH_INVALIDATION_CHANNEL, JSON.stringify({ type: 'user', id: userId }));
    await waitFor(async () => (await resolver.fromBearer(t)) === null);
    expect(await resolver.fromBearer(t)).toBeNull();
  });

  describe('authenticate middleware', () => {
    function app(r: PrincipalResolver) {
      const a = express();
      a.get(
        '/who',
        authenticate({
          resolver: r,
          accept: ['api_token'],
          secureCookies: false,
          adminAddresses: 'authorize',
        }),
        (req, res) => {
          res.json({ userId: principalOf(req).userId });
        },
      );
      a.use(errorHandler(logger));
      return a;
    }

    it('accepts a valid bearer token and refuses malformed Authorization headers with 401', async () => {
      const { token: t } = await token();
      expect((await request(app(resolver)).get('/who').set('Authorization', `Bearer ${t}`)).body.userId).toBe(
        userId,
      );
      for (const header of [`Basic ${t}`, 'Bearer short', `Bearer ${t} extra`, `bearer${t}`]) {
        const res = await request(app(resolver)).get('/who').set('Authorization', header);
        expect(res.status).toBe(401);
      }
    });

    it('refuses a session cookie on a route that accepts only tokens', async () => {
      const res = await request(app(resolver))
        .get('/who')
        .set('Cookie', 'airlock_session=als_abcdefghijklmnopqrstu');
      expect(res.status).toBe(401);
    });

    it('refuses a cookie-authenticated write started by another site, and allows our own', async () => {
      const cookie = generateToken('s');
      await db.system.session.create({
        data: {
          tokenHash: sha256Hex(cookie),
          userId,
          orgId,
          lastSeenAt: frozen,
          idleExpiresAt: new Date(frozen.getTime() + 3_600_000),
          absoluteExpiresAt: new Date(frozen.getTime() + 7_200_000),
        },
      });
      const a = express();
      const auth = authenticate({
        resolver,
        accept: ['session', 'api_token'],
        secureCookies: false,
        adminAddresses: 'authorize',
      });
      a.post('/change', auth, (req, res) => {
        res.json({ userId: principalOf(req).userId });
      });
      a.get('/read', auth, (req, res) => {
        res.json({ userId: principalOf(req).userId });
      });
      a.use(errorHandler(logger));
      const post = () => request(a).post('/change').set('Cookie', `airlock_session=${cookie}`);
      for (const [name, value] of [
        ['Sec-Fetch-Site', 'same-site'],
        ['Sec-Fetch-Site', 'cross-site'],
        ['Origin', 'https://sibling.corp.example'],
        ['Origin', 'null'],
      ] as const) {
        const res = await post().set(name, value);
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('cross_site_refused');
        expect(res.body.userId).toBeUndefined();
      }
      expect((await post().set('Sec-Fetch-Site', 'same-origin')).body.userId).toBe(userId);
      const host = await post().set('Origin', 'http://placeholder'); // supertest's host differs
      expect(host.status).toBe(403);
      expect((await post()).body.userId).toBe(userId); // no browser headers: not a browser
      // Reads are not writes: a cross-site GET still authenticates (it changes nothing).
      const read = await request(a)
        .get('/read')
        .set('Cookie', `airlock_session=${cookie}`)
        .set('Sec-Fetch-Site', 'cross-site');
      expect(read.body.userId).toBe(userId);
      // Bearer tokens are not sent by browsers on their own: no such check.
      const { token: t } = await token();
      expect(
        (
          await request(a)
            .post('/change')
            .set('Authorization', `Bearer ${t}`)
            .set('Sec-Fetch-Site', 'cross-site')
        ).status,
      ).toBe(200);
    });

    it('fails closed when the lookup itself fails (database down): 500, never a principal', async () => {
      const broken: PrincipalResolver = {
        ...resolver,
        fromBearer: () => Promise.reject(new Error('connection refused')),
      };
      const res = await request(app(broken))
        .get('/who')
        .set('Authorization', `Bearer ${'x'.repeat(40)}`);
      expect(res.status).toBe(500);
      expect(res.body.userId).toBeUndefined();
    });
  });
});
