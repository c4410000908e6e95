// Taking and reading pending grants inside a provisioning transaction (common's membership/).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { acceptPendingGrant, hasOpenGrant, type Db, type Role } from '@airlock/common';
import { openTestDb } from '@airlock/common/testing';

describe('pending grants (acceptPendingGrant, hasOpenGrant)', () => {
  let db: Db;
  let close: () => Promise<void>;
  const now = new Date('2026-12-01T12:00:00Z');
  const later = new Date(now.getTime() + 86_400_000);

  beforeAll(async () => {
    ({ db, close } = await openTestDb());
  });
  afterAll(async () => {
    await close();
  });

  async function org() {
    const slug = `org-${randomUUID().slice(0, 8)}`;
    return (await db.system.org.create({ data: { slug, name: slug } })).id;
  }
  const user = async () =>
    (await db.system.user.create({ data: { email: `${randomUUID().slice(0, 8)}@example.com` } })).id;
  const grant = (
    orgId: string,
    email: string,
    role: Role,
    expiresAt = later,
    revokedAt: Date | null = null,
  ) => db.system.pendingGrant.create({ data: { orgId, email, role, expiresAt, revokedAt } });
  const accept = (orgId: string, email: string, userId: string, at = now) =>
    db.inOrg(orgId, (tx) => acceptPendingGrant(tx, orgId, email, userId, at));

  it('takes an open grant once, by its email in any case, and records who took it', async () => {
    const orgId = await org();
    const g = await grant(orgId, 'invitee@corp.example', 'admin');
    const u = await user();
    expect(await accept(orgId, 'Invitee@Corp.Example', u)).toBe('admin');
    expect(await accept(orgId, 'invitee@corp.example', await user())).toBeNull();
    const row = await db.system.pendingGrant.findUnique({ where: { id: g.id } });
    expect(row).toMatchObject({ acceptedBy: u, acceptedAt: now });
  });

  it('never takes an expired or revoked grant, or another org’s', async () => {
    const orgId = await org();
    await grant(orgId, 'late@corp.example', 'owner', now);
    await grant(orgId, 'revoked@corp.example', 'owner', later, now);
    const other = await org();
    await grant(other, 'elsewhere@corp.example', 'owner');
    const u = await user();
    expect(await accept(orgId, 'late@corp.example', u)).toBeNull();
    expect(await accept(orgId, 'revoked@corp.example', u)).toBeNull();
    expect(await accept(orgId, 'elsewhere@corp.example', u)).toBeNull();
  });

  it('tells whether the org has an open grant of a role until it expires or is taken', async () => {
    const orgId = await org();
    const open = (role: Role, at = now) => db.inOrg(orgId, (tx) => hasOpenGrant(tx, orgId, role, at));
    expect(await open('owner')).toBe(false);
    await grant(orgId, 'first-owner@corp.example', 'owner');
    expect(await open('owner')).toBe(true);
    expect(await open('admin')).toBe(false);
    expect(await open('owner', later)).toBe(false);
    await accept(orgId, 'first-owner@corp.example', await user());
    expect(await open('owner')).toBe(false);
  });
});
