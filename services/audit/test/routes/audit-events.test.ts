import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { AuditEvent } from '@airlock/common';
import { waitFor } from '@airlock/common/testing';
import { startFixture, type Fixture, type Member } from '../fixture.js';

type Page = { data: { id: string; seq: string; action: string; orgId: string }[]; nextCursor: string | null };

describe('audit events API', () => {
  let f: Fixture;
  let orgA: string;
  let orgB: string;
  let ownerA: Member;
  let adminA: Member;
  let memberA: Member;
  let viewerA: Member;
  let adminB: Member;
  let eventsA: AuditEvent[];
  let eventsB: AuditEvent[];

  beforeAll(async () => {
    f = await startFixture();
    [orgA, orgB] = await Promise.all([f.org(), f.org()]);
    [ownerA, adminA, memberA, viewerA, adminB] = await Promise.all([
      f.member(orgA, 'owner'),
      f.member(orgA, 'admin'),
      f.member(orgA, 'member'),
      f.member(orgA, 'viewer'),
      f.member(orgB, 'admin'),
    ]);
    eventsA = await f.seed(orgA, 30, (i) => ({
      actor: { type: 'user', id: `user-${i % 3}`, email: `person${i % 3}@example.com` },
      outcome: i % 10 === 0 ? 'denied' : 'success',
      details: {
        model: i % 2 === 0 ? 'llama-3-70b' : 'mistral-7b',
        endpoint: 'chat.completions',
        status: 200,
        stream: false,
        latencyMs: i,
      },
    }));
    eventsB = await f.seed(orgB, 5);
  });
  afterAll(async () => {
    await f?.close();
  });

  const expected = (pick: (e: AuditEvent, i: number) => boolean) => eventsA.filter(pick).map((e) => e.id);
  const stored = async (orgId: string) =>
    Number(
      (await f.admin.query('SELECT count(*) FROM audit_events WHERE org_id = $1', [orgId])).rows[0].count,
    );

  const get = (path: string, who?: Member) => {
    const req = request(f.app).get(path);
    return who ? req.set('Authorization', `Bearer ${who.token}`) : req;
  };

  describe('access', () => {
    it.each(['/api/v1/audit-events', '/api/v1/audit-events/export', '/api/v1/audit-events/verify'])(
      'refuses %s without credentials',
      async (path) => {
        const res = await get(path);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('unauthenticated');
      },
    );

    it.each(['/api/v1/audit-events', '/api/v1/audit-events/export', '/api/v1/audit-events/verify'])(
      'refuses %s to members and viewers',
      async (path) => {
        for (const who of [memberA, viewerA]) {
          const res = await get(path, who);
          expect(res.status).toBe(403);
          expect(res.body.error.code).toBe('forbidden');
        }
      },
    );

    it('lets admins and owners read their org trail', async () => {
      for (const who of [adminA, ownerA]) {
        const res = await get('/api/v1/audit-events?limit=5', who);
        expect(res.status).toBe(200);
        expect(res.headers['cache-control']).toBe('no-store');
        expect((res.body as Page).data).toHaveLength(5);
      }
    });

    it('shows an admin of another org nothing of this org, in lists, exports and verification', async () => {
      const list = (await get('/api/v1/audit-events?limit=1000', adminB)).body as Page;
      expect(list.data.map((e) => e.id).sort()).toEqual(eventsB.map((e) => e.id).sort());
      const exported = await get('/api/v1/audit-events/export?action=ai.request', adminB);
      const ids = exported.text
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id);
      expect(ids).toEqual(eventsB.map((e) => e.id));
      await waitFor(async () => (await stored(orgB)) === 6);
      const verify = await get('/api/v1/audit-events/verify', adminB);
      // Org B's own chain only: its 5 events plus the export just made.
      expect(verify.body).toMatchObject({ ok: true, checked: 6 });
      // Filters cannot reach across either: asking for org A's actor finds nothing.
      const probe = (await get(`/api/v1/audit-events?actor=user-1`, adminB)).body as Page;
      expect(probe.data).toEqual([]);
    });
  });

  describe('query', () => {
    it('pages newest first with a cursor, visiting every event exactly once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(`/api/v1/audit-events?limit=7${cursor ? `&cursor=${cursor}` : ''}`, adminA);
        expect(res.status).toBe(200);
        const page = res.body as Page;
        seen.push(...page.data.map((e) => e.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(5);
      expect(seen).toEqual(eventsA.map((e) => e.id).reverse());
    });

    it('returns the stored shape, hashes included', async () => {
      const { data } = (await get('/api/v1/audit-events?limit=1', adminA)).body as {
        data: Record<string, unknown>[];
      };
      const last = eventsA[eventsA.length - 1]!;
      expect(data[0]).toEqual({
        id: last.id,
        seq: '30',
        time: last.time,
        orgId: orgA,
        actor: last.actor,
        action: 'ai.request',
        target: last.target,
        outcome: last.outcome,
        clientIp: last.clientIp,
        userAgent: last.userAgent,
        requestId: last.requestId,
        details: last.details,
        prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    });

    const ids = async (query: string) =>
      ((await get(`/api/v1/audit-events?limit=1000&${query}`, adminA)).body as Page).data
        .map((e) => e.id)
        .reverse();

    it('filters by time range (from inclusive, to exclusive)', async () => {
      const from = eventsA[5]!.time;
      const to = eventsA[9]!.time;
      expect(await ids(`from=${from}&to=${to}`)).toEqual(expected((_, i) => i >= 5 && i < 9));
    });

    it('filters by actor id or email, and by outcome', async () => {
      expect(await ids('actor=user-1')).toEqual(expected((_, i) => i % 3 === 1));
      expect(await ids('actor=PERSON2@example.com')).toEqual(expected((_, i) => i % 3 === 2));
      expect(await ids('outcome=denied')).toEqual(expected((_, i) => i % 10 === 0));
    });

    it('filters by model, action and target', async () => {
      expect(await ids('model=mistral-7b')).toEqual(expected((_, i) => i % 2 === 1));
      expect(await ids('action=ai.request')).toHaveLength(30);
      expect(await ids('action=token.created,auth.login')).toEqual([]);
      expect(await ids('targetType=model&targetId=llama-3-70b')).toHaveLength(30);
      expect(await ids('targetId=nothing')).toEqual([]);
      expect(await ids('model=mistral-7b&outcome=denied&actor=user-1')).toEqual(
        expected((_, i) => i % 2 === 1 && i % 10 === 0 && i % 3 === 1),
      );
    });

    it.each([
      ['an unknown parameter', 'colour=blue'],
      ['an unknown action', 'action=ai.request,prompt.read'],
      ['a repeated parameter', 'outcome=success&outcome=denied'],
      ['a malformed time', 'from=yesterday'],
      ['a limit above 1000', 'limit=1001'],
      ['a forged cursor', `cursor=${Buffer.from('{"t":"x","i":"y"}').toString('base64url')}`],
    ])('rejects %s with validation_failed', async (_name, query) => {
      const res = await get(`/api/v1/audit-events?${query}`, adminA);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      // The one details shape of every service (common's validationFailed).
      const problems = res.body.error.details.problems as { path: string; message: string }[];
      expect(problems.length).toBeGreaterThan(0);
      for (const p of problems)
        expect(p).toEqual({ path: expect.stringMatching(/^\$/), message: expect.any(String) });
    });
  });

  describe('export', () => {
    it('streams NDJSON, oldest first, one event per line', async () => {
      const res = await get('/api/v1/audit-events/export?format=ndjson&model=llama-3-70b', adminA);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="audit-events-.*\.ndjson"$/);
      const lines = res.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; details: unknown });
      expect(lines.map((l) => l.id)).toEqual(expected((_, i) => i % 2 === 0));
      expect(lines[0]!.details).toEqual(eventsA[0]!.details);
    });

    it('streams CSV with a header and formula cells neutralized', async () => {
      const org = await f.org();
      const admin = await f.member(org, 'admin');
      const nasty = ['=HYPERLINK("http://evil","x")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR'];
      await f.seed(org, nasty.length, (i) => ({
        target: { type: 'model', id: nasty[i]! },
        userAgent: nasty[(i + 1) % nasty.length]!,
      }));
      const res = await get('/api/v1/audit-events/export?format=csv', admin);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      const rows = res.text.split('\r\n').filter(Boolean);
      expect(rows[0]).toBe(
        '"id","seq","time","actorType","actorId","actorEmail","action","targetType","targetId","outcome","clientIp","userAgent","requestId","details","prevHash","hash"',
      );
      expect(rows).toHaveLength(nasty.length + 1);
      expect(rows[1]).toContain(`,"'=HYPERLINK(""http://evil"",""x"")",`);
      expect(rows[1]).toContain(`,"'+1+1",`);
      for (const value of nasty) {
        const quoted = `"'${value.replaceAll('"', '""')}"`;
        expect(res.text.split(quoted).length - 1).toBe(2); // as target and as user agent
      }
      // No cell anywhere begins with a formula character.
      expect(res.text).not.toMatch(/(^|,)"[=+\-@\t\r]/m);
      expect(rows[1]).toContain('""endpoint"":""chat.completions""');
    });

    it('exports more events than one page holds without losing or repeating any', async () => {
      const org = await f.org();
      const admin = await f.member(org, 'admin');
      const seeded = await f.seed(org, 2_345);
      const res = await get('/api/v1/audit-events/export?action=ai.request', admin);
      const ids = res.text
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id);
      expect(ids).toEqual(seeded.map((e) => e.id));
    });

    it('is itself audited, with the format and filters, and lands in the trail', async () => {
      const org = await f.org();
      const admin = await f.member(org, 'admin');
      await get('/api/v1/audit-events/export?format=csv&outcome=denied&action=ai.request', admin).expect(200);
      await waitFor(async () => {
        const page = (await get('/api/v1/audit-events?action=audit.exported', admin)).body as Page;
        return page.data.length === 1;
      });
      const page = (await get('/api/v1/audit-events?action=audit.exported', admin)).body as {
        data: { actor: unknown; details: unknown; target: unknown }[];
      };
      expect(page.data[0]).toMatchObject({
        // An API-token call: the actor is the token's owner, as in every service (common's auditActorOf).
        actor: { type: 'token', id: admin.id, email: admin.email },
        details: { format: 'csv', filters: { outcome: 'denied', action: 'ai.request' } },
        target: { type: 'audit_events', id: org },
      });
    });
  });

  describe('verify', () => {
    const tamperOrg = async (count: number) => {
      const org = await f.org();
      const admin = await f.member(org, 'admin');
      const events = await f.seed(org, count);
      return { org, admin, events };
    };

    it('reports an intact chain with its head', async () => {
      // 30 seeded events, plus the audit.exported events of earlier tests once ingested.
      const exports = f.published.filter((e) => e.orgId === orgA && e.action === 'audit.exported').length;
      expect(exports).toBeGreaterThan(0);
      await waitFor(async () => (await stored(orgA)) === 30 + exports);
      const count = await stored(orgA);
      const res = await get('/api/v1/audit-events/verify', adminA);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        ok: true,
        checked: count,
        firstBroken: null,
        from: { seq: '0' },
        head: { seq: String(count), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      });
    });

    it('finds a row whose content was changed, at that row', async () => {
      const { admin, events } = await tamperOrg(20);
      await f.admin.query(
        `UPDATE audit_events SET details = jsonb_set(details, '{model}', '"gpt-4"') WHERE id = $1`,
        [events[12]!.id],
      );
      const res = await get('/api/v1/audit-events/verify', admin);
      expect(res.body).toMatchObject({
        ok: false,
        checked: 13,
        firstBroken: { id: events[12]!.id, seq: '13', reason: 'hash_mismatch' },
      });
    });

    it('finds a row changed and re-hashed, at the next row whose link no longer matches', async () => {
      const { admin, events } = await tamperOrg(10);
      await f.admin.query(
        `UPDATE audit_events SET outcome = 'failure', hash = repeat('a', 64) WHERE id = $1`,
        [events[4]!.id],
      );
      const res = await get('/api/v1/audit-events/verify', admin);
      expect(res.body.firstBroken).toMatchObject({ id: events[4]!.id, reason: 'hash_mismatch' });
      // Forge a consistent hash for row 5 too: row 6 then no longer links to it.
      const { computeForged } = await import('./forge.js');
      await computeForged(f, events[4]!.id);
      const again = await get('/api/v1/audit-events/verify', admin);
      expect(again.body.firstBroken).toMatchObject({
        id: events[5]!.id,
        seq: '6',
        reason: 'prev_hash_mismatch',
      });
    });

    it('finds a deleted row, at the row after the gap', async () => {
      const { admin, events } = await tamperOrg(8);
      await f.admin.query('DELETE FROM audit_events WHERE id = $1', [events[3]!.id]);
      const res = await get('/api/v1/audit-events/verify', admin);
      expect(res.body.firstBroken).toEqual({ id: events[4]!.id, seq: '5', reason: 'seq_gap' });
    });

    it('finds a deleted beginning that no retention checkpoint covers', async () => {
      const { admin, events } = await tamperOrg(4);
      await f.admin.query('DELETE FROM audit_events WHERE id = $1', [events[0]!.id]);
      const res = await get('/api/v1/audit-events/verify', admin);
      expect(res.body.firstBroken).toEqual({ id: events[1]!.id, seq: '2', reason: 'missing_checkpoint' });
    });
  });

  it('answers 404 naming the audit module for a path under its prefix that no route matches', async () => {
    const res = await get(`/api/v1/audit-events/${randomUUID()}/replay`, adminA);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(res.body.error.message).toMatch(/^audit: no route for GET /);
  });
});
