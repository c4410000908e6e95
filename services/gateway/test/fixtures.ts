// Test data for the gateway: an org with its policy and a member holding an API token,
// written straight to the tables through the test kit's factories.
import { createUpstreamKeyBox, type Db, type Keyring, type PolicyInput, type Role } from '@airlock/common';
import { addMember, createApiToken, createOrg } from '@airlock/common/testing';

export interface Tenant {
  orgId: string;
  userId: string;
  token: string;
  tokenId: string;
}

export async function createTenant(db: Db, policy: PolicyInput, role: Role = 'member'): Promise<Tenant> {
  const org = await createOrg(db);
  await db.system.orgPolicy.create({ data: { orgId: org.id, version: 1, document: policy as object } });
  const member = await addMemberWithToken(db, org.id, role);
  return { orgId: org.id, ...member };
}

/** A new member of the org and one API token of theirs. */
export async function addMemberWithToken(
  db: Db,
  orgId: string,
  role: Role,
): Promise<{ userId: string; token: string; tokenId: string }> {
  const { userId } = await addMember(db, orgId, role);
  const { token, id } = await createApiToken(db, { userId, orgId });
  return { userId, token, tokenId: id };
}

export async function revokeToken(db: Db, tokenId: string): Promise<void> {
  await db.system.apiToken.update({ where: { id: tokenId }, data: { revokedAt: new Date() } });
}

/** Seals an upstream key the way rbac stores it (associated data binds it to org and name). */
export function sealUpstreamKey(keyring: Keyring, orgId: string, name: string, key: string): string {
  return createUpstreamKeyBox(keyring).seal(orgId, name, key);
}

/** An on-prem upstream entry serving every model. */
export function onprem(name: string, baseUrl: string, extra: Record<string, unknown> = {}) {
  return { name, baseUrl, kind: 'onprem' as const, provider: 'vllm' as const, ...extra };
}

export function cloud(name: string, baseUrl: string, extra: Record<string, unknown> = {}) {
  return { name, baseUrl, kind: 'cloud' as const, provider: 'openai' as const, ...extra };
}
