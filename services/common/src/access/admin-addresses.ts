// The org's admin IP allowlist (policy.admin.ipAllowlist), applied by authenticate() to every
// org-bound credential on a management route of every service, so no route can forget it.
// Only the data plane (gateway /v1) opts out; sign-in and SCIM do not authenticate here.
import type { Db } from '../db/client.js';
import { AirlockError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PolicyReader } from '../policy/reader.js';
import { isCidr } from '../policy/schema.js';
import { ipAllowed } from './ip-allowlist.js';

/** True when `ip` may use the admin powers of `orgId`. */
export type AdminAddressCheck = (orgId: string, ip: string | undefined) => Promise<boolean>;

export function ipNotAllowedError(): AirlockError {
  return new AirlockError('ip_not_allowed', "your address is not in this organisation's admin IP allowlist");
}

export function createAdminAddressCheck({
  db,
  policies,
  logger,
}: {
  db: Db;
  policies: PolicyReader;
  logger: Logger;
}): AdminAddressCheck {
  /**
   * When the stored policy no longer parses (a schema tightened after it was saved), the
   * gateway refuses that org, but its admins must still be able to reach the API to fix it:
   * the raw allowlist's valid entries then apply, and a list with entries but none valid
   * admits nobody.
   */
  async function allowlistOf(orgId: string): Promise<string[] | 'nobody'> {
    try {
      return (await policies.get(orgId)).policy.admin.ipAllowlist;
    } catch (e) {
      const row = await db
        .forOrg(orgId)
        .orgPolicy.findFirst({ where: { orgId }, orderBy: { version: 'desc' } });
      const raw = (row?.document as { admin?: { ipAllowlist?: unknown } } | undefined)?.admin?.ipAllowlist;
      logger.error(
        { err: (e as Error).message, orgId },
        'stored org policy does not parse; using its raw allowlist',
      );
      if (raw === undefined) return [];
      const entries = Array.isArray(raw)
        ? raw.filter((x): x is string => typeof x === 'string' && isCidr(x))
        : [];
      return entries.length > 0 ? entries : 'nobody';
    }
  }
  return async (orgId, ip) => {
    const allowlist = await allowlistOf(orgId);
    return allowlist !== 'nobody' && ipAllowed(ip, allowlist);
  };
}
