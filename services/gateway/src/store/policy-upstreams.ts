// Every upstream named in the orgs' current policies, for the air-gapped start-up report.
import { policySchema, type Db } from '@airlock/common';

export interface PolicyUpstream {
  orgId: string;
  name: string;
  baseUrl: string;
}

export async function currentPolicyUpstreams(db: Db): Promise<PolicyUpstream[]> {
  const rows = await db.system.orgPolicy.findMany({
    distinct: ['orgId'],
    orderBy: [{ orgId: 'asc' }, { version: 'desc' }],
    select: { orgId: true, document: true },
  });
  const out: PolicyUpstream[] = [];
  for (const row of rows) {
    const parsed = policySchema.safeParse(row.document);
    if (!parsed.success) continue; // the gateway refuses that org's requests anyway
    for (const u of parsed.data.upstreams) out.push({ orgId: row.orgId, name: u.name, baseUrl: u.baseUrl });
  }
  return out;
}
