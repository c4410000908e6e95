// Test data written straight into the database (the rbac and identity APIs are built in
// parallel): an org, a member with a role, an API token, and the org policy.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createUpstreamKeyBox,
  sha256Hex,
  type Db,
  type Keyring,
  type PolicyInput,
  type Role,
} from '@airlock/common';

export interface Tenant {
  orgId: string;
  userId: string;
  token: string;
  tokenId: string;
}

export async function createTenant(db: Db, policy: PolicyInput, role: Role = 'member'): Promise<Tenant> {
  const slug = `org-${randomUUID().slice(0, 8)}`;
  const org = await db.system.org.create({ data: { slug, name: slug, allowedEmailDomains: [] } });
  await db.system.orgPolicy.create({ data: { orgId: org.id, version: 1, document: policy as object } });
  const member = await addMember(db, org.id, role);
  return { orgId: org.id, ...member };
}

export async function addMember(
  db: Db,
  orgId: string,
  role: Role,
): Promise<{ userId: string; token: string; tokenId: string }> {
  const user = await db.system.user.create({ data: { email: `${randomUUID()}@example.test` } });
  await db.system.membership.create({ data: { orgId, userId: user.id, role } });
  const token = `al_${randomBytes(24).toString('base64url')}`;
  const row = await db.system.apiToken.create({
    data: { orgId, userId: user.id, name: 'test', prefix: token.slice(0, 8), tokenHash: sha256Hex(token) },
  });
  return { userId: user.id, token, tokenId: row.id };
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
