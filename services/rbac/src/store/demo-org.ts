import type { Db } from '@airlock/common';

export const DEMO_ORG_SLUG = 'demo';

/** Creates the all-in-one demo org once. Returns true when it was created now. */
export async function ensureDemoOrg(db: Db): Promise<boolean> {
  const existing = await db.system.org.findUnique({ where: { slug: DEMO_ORG_SLUG } });
  if (existing) return false;
  await db.system.org.create({
    data: { slug: DEMO_ORG_SLUG, name: 'Demo Org', allowedEmailDomains: ['example.com'] },
  });
  return true;
}
