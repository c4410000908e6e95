// Every upstream named in the orgs' current policies, for the air-gapped start-up report.
import { policySchema, type Db } from '@airlock/common';

export interface PolicyUpstream {
  orgId: string;
  name: string;
  baseUrl: string;
}

export async function currentPolicyUpstreams(db: Db): Promise<PolicyUpstream[]> {
  // Plain SQL (the gateway process does not load Prisma's query compiler): each org's latest.
  const rows = await db.sql.inScope({ system: true }, (q) =>
    q<{ orgId: string; document: unknown }>(
      'SELECT DISTINCT ON (org_id) org_id AS "orgId", document FROM org_policies ORDER BY org_id, version DESC',
    ),
  );
  const out: PolicyUpstream[] = [];
  for (const row of rows) {
    const parsed = policySchema.safeParse(row.document);
    if (!parsed.success) continue; // the gateway refuses that org's requests anyway
    for (const u of parsed.data.upstreams) out.push({ orgId: row.orgId, name: u.name, baseUrl: u.baseUrl });
  }
  return out;
}
