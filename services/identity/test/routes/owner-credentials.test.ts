import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Role } from '@airlock/common';
import request from 'supertest';
import { cookie, startFixture, type Fixture } from '../fixture.js';

// Rule: an owner's sessions and API tokens are ended only by an owner (or the owner
// themselves). Admins end those of admins, members and viewers. Every actor × target pair.
const CASES: Array<[actor: Role, target: Role, allowed: boolean]> = [
  ['owner', 'owner', true],
  ['owner', 'admin', true],
  ['owner', 'member', true],
  ['admin', 'owner', false],
  ['admin', 'admin', true],
  ['admin', 'member', true],
  ['admin', 'viewer', true],
];

describe("only owners end owners' sessions and tokens", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it.each(CASES)(
    '%s ending a %s’s sessions and tokens: allowed %s',
    async (actorRole, targetRole, allowed) => {
      const org = await f.org();
      const actor = await f.user(org.id, actorRole);
      const target = await f.user(org.id, targetRole);
      const actorSession = cookie(await actor.session());
      const targetSession = cookie(await target.session());
      const token =
        targetRole === 'viewer'
          ? null
          : (await request(f.app).post('/api/v1/tokens').set('Cookie', targetSession).send({ name: 't' }))
              .body;

      const sessions = await request(f.app)
        .delete(`/auth/users/${target.id}/sessions`)
        .set('Cookie', actorSession);
      expect(sessions.status).toBe(allowed ? 200 : 403);
      const stillIn = await request(f.app).get('/api/v1/me').set('Cookie', targetSession);
      expect(stillIn.status).toBe(allowed ? 401 : 200);

      if (token) {
        const del = await request(f.app).delete(`/api/v1/tokens/${token.id}`).set('Cookie', actorSession);
        // Not revocable answers like an unknown token: no probing of other members' tokens.
        expect(del.status).toBe(allowed ? 200 : 404);
        const used = await request(f.app).get('/api/v1/me').set('Authorization', `Bearer ${token.token}`);
        expect(used.status).toBe(allowed ? 401 : 200);
      }
    },
  );
});
