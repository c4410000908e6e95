import { describe, expect, it } from '@jest/globals';
import express, { Router, type RequestHandler } from 'express';
import request from 'supertest';
import {
  abilityOf,
  assertCan,
  createAuthorize,
  publicRoute,
  routeAbilityOf,
} from '../../src/access/authorize.js';
import { defineAbilityFor } from '../../src/access/abilities.js';
import type { Principal } from '../../src/auth/principal.js';
import { AirlockError } from '../../src/errors.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { createLogger } from '../../src/logger.js';
import { abilityMap, publicRoutes, routesOf, undeclaredRoutes } from '../../testing/routes.js';

const ORG = '11111111-1111-4111-8111-111111111111';
const BLOCKED_ORG = '33333333-3333-4333-8333-333333333333';
const ME = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const YOU = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

function principal(overrides: Partial<Principal>): Principal {
  return {
    kind: 'session',
    userId: ME,
    email: 'me@example.com',
    orgId: ORG,
    role: 'member',
    isPlatformAdmin: false,
    expiresAt: null,
    ...overrides,
  };
}

// The allowlist check: BLOCKED_ORG admits nobody; records what it was asked.
const asked: string[] = [];
const authorize = createAuthorize(async (orgId) => {
  asked.push(orgId);
  return orgId !== BLOCKED_ORG;
});

/** Stands in for authenticate(): the principal named by the x-who header (none without it). */
const WHO: Record<string, Principal> = {
  member: principal({}),
  viewer: principal({ role: 'viewer' }),
  admin: principal({ role: 'admin' }),
  blocked: principal({ role: 'owner', orgId: BLOCKED_ORG }),
  platform: principal({ orgId: null, role: null, isPlatformAdmin: true }),
};
const as: RequestHandler = (req, _res, next) => {
  const who = req.get('x-who');
  if (who) req.principal = WHO[who];
  next();
};

function app(router: Router) {
  return express()
    .use(express.json())
    .use(as)
    .use(router)
    .use(errorHandler(createLogger({ level: 'silent', service: 'test' })));
}

const ok: RequestHandler = (_req, res) => void res.json({ ok: true });

describe('authorize()', () => {
  const router = Router();
  router.get('/members', authorize('read', 'Member'), ok);
  router.post('/tokens', authorize('create', 'ApiToken'), ok);
  router.get('/orgs', authorize('read', 'Org', { scope: 'platform' }), ok);
  router.get('/audit', authorize('read', 'AuditEvent', { scope: 'org-or-platform' }), ok);
  router.post('/v1/chat', authorize('create', 'ApiToken', { plane: 'data' }), ok);
  router.post(
    '/refuse',
    authorize('update', 'Policy', { refuse: () => new AirlockError('model_forbidden', 'no') }),
    ok,
  );
  router.delete('/members/:userId', authorize('delete', 'Member'), (req, res) => {
    assertCan(req, 'delete', 'Member', { orgId: ORG, userId: req.params.userId, role: 'member' });
    res.json({ ok: true, sameAbility: abilityOf(req) === abilityOf(req) });
  });
  router.get(
    '/custom',
    authorize('use', 'Model', {
      plane: 'data',
      ability: (_req, p) => defineAbilityFor(p, { allowedModels: ['llama-*'] }),
    }),
    (req, res) => {
      res.json({ llama: abilityOf(req).can('use', 'Model') });
    },
  );
  router.get('/public', publicRoute('a test'), ok);
  const api = app(router);

  const call = (method: 'get' | 'post' | 'delete', path: string, who?: string) => {
    const r = request(api)[method](path);
    return who ? r.set('x-who', who) : r;
  };

  it('answers 401 unauthenticated without a principal, on every declared route', async () => {
    for (const [m, p] of [
      ['get', '/members'],
      ['post', '/tokens'],
      ['get', '/orgs'],
      ['get', '/audit'],
      ['post', '/v1/chat'],
    ] as const) {
      const res = await call(m, p);
      expect([p, res.status, res.body.error.code]).toEqual([p, 401, 'unauthenticated']);
    }
  });

  it('raises the standard no_org error for an org route reached without an org', async () => {
    const res = await call('get', '/members', 'platform');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('no_org');
  });

  it('admits platform and org-or-platform routes without an org when the ability allows', async () => {
    expect((await call('get', '/orgs', 'platform')).status).toBe(200);
    expect((await call('get', '/audit', 'platform')).status).toBe(200);
    expect((await call('get', '/audit', 'admin')).status).toBe(200);
  });

  it('refuses with 403 forbidden when the role has no such power in its org', async () => {
    const res = await call('get', '/members', 'member');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await call('get', '/members', 'admin')).status).toBe(200);
    expect((await call('post', '/tokens', 'viewer')).status).toBe(403);
    expect((await call('post', '/tokens', 'member')).status).toBe(200);
    // An org member is not the platform: the org's own rules do not grant platform routes.
    expect((await call('get', '/orgs', 'admin')).status).toBe(403);
  });

  it('applies the admin IP allowlist on management routes, and not on the data plane', async () => {
    asked.length = 0;
    const res = await call('post', '/tokens', 'blocked');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('ip_not_allowed');
    expect(asked).toEqual([BLOCKED_ORG]);
    asked.length = 0;
    expect((await call('post', '/v1/chat', 'blocked')).status).toBe(200);
    expect(asked).toEqual([]);
    // No org, no allowlist to consult.
    await call('get', '/orgs', 'platform');
    expect(asked).toEqual([]);
  });

  it('uses the route refusal when one is given', async () => {
    const res = await call('post', '/refuse', 'member');
    expect([res.status, res.body.error.code]).toEqual([403, 'model_forbidden']);
  });

  it('keeps one ability per request for the handler: assertCan checks one subject', async () => {
    const res = await call('delete', `/members/${YOU}`, 'admin');
    expect(res.body).toEqual({ ok: true, sameAbility: true });
    // Nobody removes themselves (abilities.ts): the instance check refuses what the type check let in.
    const self = await call('delete', `/members/${ME}`, 'admin');
    expect([self.status, self.body.error.code]).toEqual([403, 'forbidden']);
  });

  it('checks a route-supplied ability (the gateway: the role’s models from the policy)', async () => {
    expect((await call('get', '/custom', 'member')).body).toEqual({ llama: true });
    expect((await call('get', '/custom', 'viewer')).status).toBe(403);
  });

  it('tags its declaration so a route walk can read it', () => {
    const routes = routesOf(router);
    expect(undeclaredRoutes(routes)).toEqual([]);
    expect(publicRoutes(routes)).toEqual(['GET /public']);
    expect(abilityMap(routes)).toContain('GET /orgs → read Org (platform, admin)');
    expect(abilityMap(routes)).toContain('POST /v1/chat → create ApiToken (org, data)');
    expect(routeAbilityOf(ok)).toBeUndefined();
  });

  it('finds a route that declares nothing, also behind router-level middleware', () => {
    const r = Router();
    const inner = Router();
    inner.use(authorize('read', 'Member'));
    inner.get('/guarded', ok);
    r.use('/api', inner);
    r.get('/forgotten', ok);
    expect(undeclaredRoutes(routesOf(r))).toEqual(['GET /forgotten']);
  });
});
