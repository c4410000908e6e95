// Moved from rbac with the code (common's membership/ is shared by rbac and identity).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { provisionMembership, type Db } from '@airlock/common';
import { createOrg, createUser, openTestDb } from '@airlock/common/testing';

describe('provisionMembership (for SSO and SCIM provisioning)', () => {
  let db: Db;
  let close: () => Promise<void>;
  let orgId: string;

  beforeAll(async () => {
    ({ db, close } = await openTestDb());
    orgId = (await createOrg(db)).id;
  });
  afterAll(async () => {
    await close();
  });

  const role = async (userId: string) =>
    (await db.system.membership.findUnique({ where: { orgId_userId: { orgId, userId } } }))?.role ?? null;

  it('creates, changes and removes a membership, returning the role before', async () => {
    const u = (await createUser(db)).id;
    expect(await db.inOrg(orgId, (tx) => provisionMembership(tx, orgId, u, 'member'))).toBeNull();
    expect(await db.inOrg(orgId, (tx) => provisionMembership(tx, orgId, u, 'admin'))).toBe('member');
    expect(await role(u)).toBe('admin');
    expect(await db.inOrg(orgId, (tx) => provisionMembership(tx, orgId, u, null))).toBe('admin');
    expect(await role(u)).toBeNull();
  });

  it('refuses to demote or remove the last owner, and allows it when another owner remains', async () => {
    const o1 = (await createUser(db)).id;
    await db.inOrg(orgId, (tx) => provisionMembership(tx, orgId, o1, 'owner'));
    await expect(db.inOrg(orgId, (tx) => provisionMembership(tx, orgId, o1, 'member'))).rejects.toMatchObject(
      { code: 'last_owner' },
    );
    await expect(db.inOrg(orgId, (tx) => provisionMembership(tx, orgId, o1, null))).rejects.toMatchObject({
      code: 'last_owner',
    });
    expect(await role(o1)).toBe('owner');
    const o2 = (await createUser(db)).id;
    await db.inOrg(orgId, (tx) => provisionMembership(tx, orgId, o2, 'owner'));
    expect(await db.inOrg(orgId, (tx) => provisionMembership(tx, orgId, o1, 'member'))).toBe('owner');
  });
});
