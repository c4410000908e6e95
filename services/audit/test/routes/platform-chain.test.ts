// Events that belong to no org (break-glass sign-ins, sign-ins to unknown orgs) form the
// platform chain: the platform admin reads, exports and verifies it; no org role reaches it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { AuditEvent } from '@airlock/common';
import { appendEvents } from '../../src/store/events.js';
import { startFixture, type Fixture, type Member } from '../fixture.js';
import { makeEvent } from '../helpers.js';

describe('the platform audit chain (org-less events)', () => {
  let f: Fixture;
  let platformCookie: string;
  let owner: Member;
  let orgEvents: AuditEvent[];
  let platformEvents: AuditEvent[];

  beforeAll(async () => {
    f = await startFixture();
    const org = await f.org();
    owner = await f.member(org, 'owner');
    platformCookie = await f.platformAdmin();
    orgEvents = await f.seed(org, 3);
    platformEvents = Array.from({ length: 4 }, (_, i) =>
      makeEvent({
        orgId: null,
        action: 'auth.login_failed',
        outcome: 'failure',
        details: { reason: i % 2 ? 'unknown_org' : 'invalid_credentials', method: 'local' },
      }),
    );
    await appendEvents(f.db, platformEvents);
  });
  afterAll(async () => {
    await f?.close();
  });

  const asPlatform = (path: string) => request(f.app).get(path).set('Cookie', platformCookie);
  const asOwner = (path: string) => request(f.app).get(path).set('Authorization', `Bearer ${owner.token}`);

  it('lists exactly the org-less events to the platform admin, newest first', async () => {
    const res = await asPlatform('/api/v1/audit-events');
    expect(res.status).toBe(200);
    const ids = (res.body.data as { id: string; orgId: string | null }[]).map((e) => e.id);
    expect(new Set(ids)).toEqual(new Set(platformEvents.map((e) => e.id)));
    expect((res.body.data as { orgId: string | null }[]).every((e) => e.orgId === null)).toBe(true);
  });

  it('filters the platform chain like an org trail', async () => {
    const res = await asPlatform('/api/v1/audit-events?action=auth.login_failed&outcome=failure');
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(4);
  });

  it('exports the platform chain as NDJSON, oldest first', async () => {
    const res = await asPlatform('/api/v1/audit-events/export?format=ndjson');
    expect(res.status).toBe(200);
    const lines = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string });
    expect(lines.map((l) => l.id)).toEqual(platformEvents.map((e) => e.id));
  });

  it('verifies the platform chain', async () => {
    const res = await asPlatform('/api/v1/audit-events/verify');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true });
  });

  it('never shows org-less events to an org owner, and never org events to the platform chain', async () => {
    const res = await asOwner('/api/v1/audit-events');
    expect(res.status).toBe(200);
    const ids = (res.body.data as { id: string }[]).map((e) => e.id);
    expect(new Set(ids)).toEqual(new Set(orgEvents.map((e) => e.id)));
    const exported = await asOwner('/api/v1/audit-events/export?format=ndjson');
    expect(exported.text).not.toContain(platformEvents[0]!.id);
  });
});
