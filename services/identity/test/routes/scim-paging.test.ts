// GET /scim/v2/Users pages (RFC 7644 §3.4.2.4) and what one page costs in SQL: a constant
// number of statements, however many users the page holds (it once read each user apart).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { countSqlStatements, type SqlStatementCounter } from '@airlock/common/testing';
import { cookie, startFixture, type Fixture } from '../fixture.js';

const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
/** Statements one page may take, whatever its size (auth and the listing included). */
const PAGE_STATEMENT_BOUND = 40;

describe('SCIM Users paging', () => {
  let f: Fixture;
  let org: { id: string };
  let token: string;
  let counter: SqlStatementCounter;
  /** Every resource id of the org, in the order SCIM lists them. */
  let all: string[];
  const pendingIds: string[] = [];
  const trackedIds: string[] = [];

  beforeAll(async () => {
    f = await startFixture();
    org = await f.org(undefined, ['corp.example']);
    const owner = await f.user(org.id, 'owner');
    const created = await request(f.app)
      .post('/api/v1/sso/scim-tokens')
      .set('Cookie', cookie(await owner.session()));
    expect(created.status).toBe(201);
    token = created.body.token;
    // 200 members, 20 directory users without a membership (deactivated) and 10 pending SCIM
    // users: every source of the listing, more than one page.
    const members = Array.from({ length: 200 }, (_, i) => ({
      id: randomUUID(),
      email: `member-${i}@corp.example`,
      name: `Member ${i}`,
    }));
    const tracked = Array.from({ length: 20 }, (_, i) => ({
      id: randomUUID(),
      email: `gone-${i}@corp.example`,
      name: null,
    }));
    await f.ctx.db.prisma.user.createMany({ data: [...members, ...tracked] });
    await f.ctx.db.asSystem(async (tx) => {
      await tx.membership.createMany({
        data: members.map((m) => ({ orgId: org.id, userId: m.id, role: 'member' as const })),
      });
      await tx.scimUser.createMany({
        data: tracked.map((t) => ({ orgId: org.id, userId: t.id, active: false, externalId: `ext-${t.id}` })),
      });
      for (let i = 0; i < 10; i++) {
        const row = await tx.scimPendingUser.create({
          data: { orgId: org.id, email: `pending-${i}@elsewhere.example`, name: `Pending ${i}` },
        });
        pendingIds.push(row.id);
      }
    });
    trackedIds.push(...tracked.map((t) => t.id));
    all = [owner.id, ...members.map((m) => m.id), ...trackedIds, ...pendingIds].sort();
    counter = countSqlStatements();
  });
  afterAll(async () => {
    counter?.stop();
    await f.close();
  });

  const list = (query: string) =>
    request(f.app).get(`/scim/v2/Users${query}`).set('Authorization', `Bearer ${token}`);

  /** The statements one request sends, with the request's answer. */
  async function measured(query: string) {
    counter.reset();
    const res = await list(query);
    return { res, statements: counter.count };
  }

  it('reads a page of 200 users in a small constant number of SQL statements', async () => {
    const big = await measured('?startIndex=1&count=200');
    expect(big.res.status).toBe(200);
    expect(big.res.body.Resources).toHaveLength(200);
    // The hook sees this database's statements at all (else the bound below proves nothing).
    expect(big.statements).toBeGreaterThan(0);
    expect(big.statements).toBeLessThanOrEqual(PAGE_STATEMENT_BOUND);
    const small = await measured('?startIndex=1&count=2');
    expect(small.res.body.Resources).toHaveLength(2);
    // Constant: 200 users cost what 2 cost.
    expect(big.statements).toBe(small.statements);
  });

  it('answers totalResults, startIndex and itemsPerPage as RFC 7644 says, pages in a stable order', async () => {
    const first = await list('?startIndex=1&count=100');
    expect(first.body).toMatchObject({
      schemas: [LIST],
      totalResults: all.length,
      startIndex: 1,
      itemsPerPage: 100,
    });
    const second = await list('?startIndex=101&count=100');
    expect(second.body).toMatchObject({ totalResults: all.length, startIndex: 101, itemsPerPage: 100 });
    const third = await list('?startIndex=201&count=100');
    expect(third.body).toMatchObject({
      totalResults: all.length,
      startIndex: 201,
      itemsPerPage: all.length - 200,
    });
    const ids = [...first.body.Resources, ...second.body.Resources, ...third.body.Resources].map(
      (r: { id: string }) => r.id,
    );
    expect(ids).toEqual(all);
  });

  it('returns the resource each id names: members, directory-only users and pending users', async () => {
    const page = await list(`?startIndex=1&count=200`);
    const rest = await list(`?startIndex=201&count=200`);
    type Resource = {
      id: string;
      active: boolean;
      userName: string;
      externalId?: string;
      displayName?: string;
      meta: { location: string };
    };
    const resources: Resource[] = [...page.body.Resources, ...rest.body.Resources];
    const byId = new Map(resources.map((r) => [r.id, r]));
    const tracked = byId.get(trackedIds[0]!)!;
    expect(tracked).toMatchObject({ active: false, externalId: `ext-${trackedIds[0]}` });
    expect(tracked.userName).toMatch(/^gone-\d+@corp\.example$/);
    const pending = byId.get(pendingIds[0]!) as {
      active: boolean;
      userName: string;
      meta: { location: string };
    };
    expect(pending).toMatchObject({ active: true, userName: 'pending-0@elsewhere.example' });
    expect(pending.meta.location).toMatch(new RegExp(`/scim/v2/Users/${pendingIds[0]}$`));
    const member = [...byId.values()].find(
      (r) => (r as { userName: string }).userName === 'member-7@corp.example',
    );
    expect(member).toMatchObject({ active: true, displayName: 'Member 7' });
  });

  it('reads startIndex below 1 as 1, a negative count as 0, and caps count at 200', async () => {
    const zero = await list('?startIndex=0&count=3');
    expect(zero.body).toMatchObject({ startIndex: 1, itemsPerPage: 3 });
    expect(zero.body.Resources.map((r: { id: string }) => r.id)).toEqual(all.slice(0, 3));
    const none = await list('?count=0');
    expect(none.body).toMatchObject({ totalResults: all.length, itemsPerPage: 0, Resources: [] });
    const negative = await list('?count=-5');
    expect(negative.body).toMatchObject({ totalResults: all.length, itemsPerPage: 0, Resources: [] });
    const capped = await list('?count=500');
    expect(capped.body.itemsPerPage).toBe(200);
    const unset = await list('');
    expect(unset.body).toMatchObject({ startIndex: 1, itemsPerPage: 200 });
    const past = await list(`?startIndex=${all.length + 1}`);
    expect(past.body).toMatchObject({
      totalResults: all.length,
      startIndex: all.length + 1,
      itemsPerPage: 0,
    });
  });

  it('filters by userName in as few statements as a page', async () => {
    const found = await measured(`?filter=${encodeURIComponent('userName eq "member-3@corp.example"')}`);
    expect(found.res.body).toMatchObject({ totalResults: 1, itemsPerPage: 1 });
    expect(found.res.body.Resources[0].userName).toBe('member-3@corp.example');
    expect(found.statements).toBeLessThanOrEqual(PAGE_STATEMENT_BOUND);
    const pending = await list(`?filter=${encodeURIComponent('userName eq "PENDING-2@elsewhere.example"')}`);
    expect(pending.body.Resources.map((r: { id: string }) => r.id)).toEqual([pendingIds[2]]);
  });
});
