import type { Db, Prisma } from '@airlock/common';
import { validatePolicy } from '@airlock/common';

export const DEMO_ORG_SLUG = 'demo';

/**
 * The demo org's first policy: nothing leaves the machine (offline), members may use any
 * model of a local Ollama. Without it the demo org would run on the default policy, in which
 * no role may use any model.
 */
export const DEMO_POLICY = {
  privacyMode: 'offline',
  models: { allow: { owner: ['*'], admin: ['*'], member: ['*'] } },
  upstreams: [{ name: 'ollama', baseUrl: 'http://127.0.0.1:11434/v1', kind: 'onprem', provider: 'ollama' }],
} as const;

/** Creates the all-in-one demo org once. Returns true when it was created now. */
export async function ensureDemoOrg(db: Db): Promise<boolean> {
  const existing = await db.system.org.findUnique({ where: { slug: DEMO_ORG_SLUG } });
  if (existing) return false;
  const checked = validatePolicy(DEMO_POLICY);
  if (!checked.ok) throw new Error(`demo policy is invalid: ${JSON.stringify(checked.problems)}`);
  await db.asSystem(async (tx) => {
    const org = await tx.org.create({
      data: { slug: DEMO_ORG_SLUG, name: 'Demo Org', allowedEmailDomains: ['example.com'] },
    });
    await tx.orgPolicy.create({
      data: {
        orgId: org.id,
        version: 1,
        document: checked.policy as unknown as Prisma.InputJsonValue,
        comment: 'demo: offline, local Ollama',
      },
    });
  });
  return true;
}
