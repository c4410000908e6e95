// The rbac service's own settings (checked only when the rbac module runs).
import { bootstrapTokenSetting, envInt } from '@airlock/common';
import { z } from 'zod';

export const rbacConfigSchema = z.object({
  AIRLOCK_BOOTSTRAP_TOKEN: bootstrapTokenSetting,
  AIRLOCK_POLICY_VERSIONS_PAGE: envInt(1, 1000)
    .default(100)
    .describe('most policy versions GET /api/v1/policy/versions returns per page'),
});

export type RbacConfig = z.output<typeof rbacConfigSchema>;

/** Defaults, for tests and callers that build the module by hand. */
export function rbacConfig(overrides: Partial<RbacConfig> = {}): RbacConfig {
  return { ...rbacConfigSchema.parse({}), ...overrides };
}

// The secure-cookie rule is common's, the same in every service.
export { secureCookiesFor } from '@airlock/common';
