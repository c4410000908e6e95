import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { CONTENT_KEYS, type AuditEvent } from '@airlock/common';
import { makeEvent } from '../helpers.js';
import { startFixture, type Fixture, type Member } from '../fixture.js';
import { appendEvents } from '../../src/store/events.js';

type Row = {
  key: string;
  label: string;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
};
type Stats = {
  window: string;
  from: string;
  to: string;
  scope: 'org' | 'self';
  totals: Omit<Row, 'key' | 'label'>;
  byPerson: Row[];
  byModel: Row[];
  byUpstream: Row[];
  byClientTool: Row[];
  series: { t: string; requests: number; errors: number }[];
};

const HOUR = 3_600_000;

describe('GET /api/v1/audit/stats', () => {
  let f: Fixture;
  let orgA: string;
  let orgB: string;
  let owner: Member;
  let admin: Member;
  let member: Member;
  let viewer: Member;
  let otherAdmin: Member;

  /** An ai.request event `hoursAgo` hours ago, by `who`. */
  const call = (
    orgId: string,
    who: Member,
    hoursAgo: number,
    details: Partial<AuditEvent['details']> = {},
  ): AuditEvent =>
    makeEvent({
      orgId,
      time: new Date(Date.now() - hoursAgo * HOUR).toISOString(),
      actor: { type: 'user', id: who.id, email: who.email },
      details: {
        model: 'llama-3-70b',
        upstream: 'vllm-a',
        endpoint: 'chat.completions',
        status: 200,
        stream: false,
        latencyMs: 5,
        promptTokens: 10,
        completionTokens: 20,
        clientTool: 'curl',
        ...details,
      },
    });

  beforeAll(async () => {
    f = await startFixture();
    [orgA, orgB] = await Promise.all([f.org(), f.org()]);
    [owner, admin, member, viewer, otherAdmin] = await Promise.all([
      f.member(orgA, 'owner'),
      f.member(orgA, 'admin'),
      f.member(orgA, 'member'),
      f.member(orgA, 'viewer'),
      f.member(orgB, 'admin'),
    ]);
    const events = [
      // Within 24 h: 3 by the member, 2 by the owner.
      call(orgA, member, 1),
      call(orgA, member, 2, {
        status: 429,
        errorCode: 'rate_limited',
        promptTokens: undefined,
        completionTokens: undefined,
      }),
      call(orgA, member, 2, { model: 'mistral-7b', upstream: undefined, clientTool: undefined }),
      call(orgA, owner, 3, {
        model: 'mistral-7b',
        clientTool: 'claude-code',
        promptTokens: 100,
        completionTokens: 1,
      }),
      call(orgA, owner, 5, { status: 502, upstream: 'vllm-b' }),
      // 2 to 6 days ago: in 7d and 30d only.
      call(orgA, member, 50),
      call(orgA, owner, 140),
      // 20 days ago: 30d only.
      call(orgA, owner, 480),
      // 40 days ago: in no window.
      call(orgA, owner, 960),
      // Not ai.request: never counted.
      makeEvent({
        orgId: orgA,
        action: 'auth.logout',
        details: {},
        time: new Date(Date.now() - HOUR).toISOString(),
      }),
      // Another org.
      call(orgB, otherAdmin, 1),
      call(orgB, otherAdmin, 1),
    ];
    await appendEvents(f.db, events);
  });
  afterAll(async () => {
    await f?.close();
  });

  const stats = async (who: Member, query = '') => {
    const res = await request(f.app)
      .get(`/api/v1/audit/stats${query}`)
      .set('Authorization', `Bearer ${who.token}`);
    return res;
  };

  it('shows an owner the whole org over 24 h: totals, every breakdown and an hourly series', async () => {
    const res = await stats(owner);
    expect(res.status).toBe(200);
    const body = res.body as Stats;
    expect(body.window).toBe('24h');
    expect(body.scope).toBe('org');
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(24 * HOUR);
    expect(body.totals).toEqual({ requests: 5, errors: 2, promptTokens: 130, completionTokens: 61 });
    expect(body.byPerson).toEqual([
      { key: member.id, label: member.email, requests: 3, errors: 1, promptTokens: 20, completionTokens: 40 },
      { key: owner.id, label: owner.email, requests: 2, errors: 1, promptTokens: 110, completionTokens: 21 },
    ]);
    expect(body.byModel).toEqual([
      {
        key: 'llama-3-70b',
        label: 'llama-3-70b',
        requests: 3,
        errors: 2,
        promptTokens: 20,
        completionTokens: 40,
      },
      {
        key: 'mistral-7b',
        label: 'mistral-7b',
        requests: 2,
        errors: 0,
        promptTokens: 110,
        completionTokens: 21,
      },
    ]);
    expect(body.byUpstream.map((r) => [r.key, r.requests])).toEqual([
      ['vllm-a', 3],
      ['', 1],
      ['vllm-b', 1],
    ]);
    expect(body.byClientTool.map((r) => [r.key, r.requests, r.errors])).toEqual([
      ['curl', 3, 2],
      ['claude-code', 1, 0],
      ['unknown', 1, 0],
    ]);
    expect(body.series.length).toBeGreaterThanOrEqual(24);
    expect(body.series.length).toBeLessThanOrEqual(25);
    for (const b of body.series) expect(Date.parse(b.t) % HOUR).toBe(0);
    expect(body.series.reduce((n, b) => n + b.requests, 0)).toBe(5);
    expect(body.series.reduce((n, b) => n + b.errors, 0)).toBe(2);
  });

  it('gives admins the org view too', async () => {
    const body = (await stats(admin)).body as Stats;
    expect(body.scope).toBe('org');
    expect(body.totals.requests).toBe(5);
  });

  it.each([
    ['?window=7d', 7, 7],
    ['?window=30d', 8, 30],
  ])('counts the %s window with daily buckets', async (query, requests, days) => {
    const body = (await stats(owner, query)).body as Stats;
    expect(body.totals.requests).toBe(requests);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(days * 24 * HOUR);
    expect(body.series.length).toBeGreaterThanOrEqual(days);
    expect(body.series.length).toBeLessThanOrEqual(days + 1);
    for (const b of body.series) expect(b.t).toMatch(/T00:00:00\.000Z$/);
    expect(body.series.reduce((n, b) => n + b.requests, 0)).toBe(requests);
  });

  it('shows a member only their own events, in the same shape', async () => {
    const body = (await stats(member, '?window=30d')).body as Stats;
    expect(body.scope).toBe('self');
    expect(body.totals).toEqual({ requests: 4, errors: 1, promptTokens: 30, completionTokens: 60 });
    expect(body.byPerson.map((r) => r.key)).toEqual([member.id]);
    expect(body.byModel.map((r) => [r.key, r.requests])).toEqual([
      ['llama-3-70b', 3],
      ['mistral-7b', 1],
    ]);
    expect(body.series.reduce((n, b) => n + b.requests, 0)).toBe(4);
  });

  it('shows a viewer with no calls an empty self view, not the org', async () => {
    const body = (await stats(viewer, '?window=30d')).body as Stats;
    expect(body.scope).toBe('self');
    expect(body.totals).toEqual({ requests: 0, errors: 0, promptTokens: 0, completionTokens: 0 });
    expect(body.byPerson).toEqual([]);
    expect(body.byModel).toEqual([]);
    expect(body.series.every((b) => b.requests === 0)).toBe(true);
  });

  it('never counts another org', async () => {
    const b = (await stats(otherAdmin, '?window=30d')).body as Stats;
    expect(b.totals.requests).toBe(2);
    expect(b.byPerson.map((r) => r.key)).toEqual([otherAdmin.id]);
    const a = (await stats(owner, '?window=30d')).body as Stats;
    expect(a.byPerson.map((r) => r.key)).not.toContain(otherAdmin.id);
  });

  it('holds no content field anywhere', async () => {
    const body = (await stats(owner, '?window=30d')).body as Stats;
    const keys = new Set<string>();
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          keys.add(k);
          walk(x);
        }
    };
    walk(body);
    expect([...keys].filter((k) => CONTENT_KEYS.has(k.toLowerCase()))).toEqual([]);
    expect(keys).toEqual(
      new Set([
        'window',
        'from',
        'to',
        'scope',
        'totals',
        'byPerson',
        'byModel',
        'byUpstream',
        'byClientTool',
        'series',
        'key',
        'label',
        'requests',
        'errors',
        'promptTokens',
        'completionTokens',
        't',
      ]),
    );
  });

  it.each(['?window=1h', '?window=', '?window=24h&window=7d', '?since=1d'])(
    'refuses %s with validation_failed',
    async (query) => {
      const res = await stats(owner, query);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    },
  );

  it('refuses a caller without credentials, and an org-less platform admin session', async () => {
    const anonymous = await request(f.app).get('/api/v1/audit/stats');
    expect(anonymous.status).toBe(401);
    const platform = await request(f.app)
      .get('/api/v1/audit/stats')
      .set('Cookie', await f.platformAdmin());
    expect(platform.status).toBe(403);
    expect(platform.body.error.code).toBe('no_org');
  });
});
