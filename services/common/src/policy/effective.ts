// What one member of an org may do under a policy, computed in one place for every service:
// rbac shows it (GET /api/v1/policy/effective) and the gateway enforces the same answer.
import type { Role } from '../generated/prisma/enums.js';
import type { Policy } from './schema.js';

export type EffectiveLimit = { requestsPerMinute?: number; tokensPerMinute?: number };

export interface EffectivePolicy {
  userId: string;
  role: Role;
  version: number;
  privacyMode: Policy['privacyMode'];
  /** aliases: the names a client may send for the models they map to (resolved as in aliases.ts). */
  models: { allow: string[]; default: string | null; aliases: Record<string, string> };
  upstreams: { name: string; kind: 'onprem' | 'cloud'; redacted: boolean; models: string[] }[];
  platformUpstreams: string[];
  /**
   * The per-minute limits that apply to this member's requests, all at once: their own
   * (perUser), the pool every member of their role shares (perRole), and the org's.
   */
  limits: { perUser: EffectiveLimit; perRole: EffectiveLimit; perOrg: EffectiveLimit };
  monthlyQuota: Policy['limits']['monthlyQuota'];
  redaction: { detectors: string[]; customPatterns: string[] };
}

/**
 * What one member may do under a policy: the models of their role (viewers: none), the
 * upstreams the privacy mode leaves (offline: on-prem only; sensitive and normal: both,
 * with redaction forced on for cloud in sensitive mode), and the limits and quotas counted
 * against their requests (as the gateway counts them: see limitChecks there).
 */
export function effectivePolicy(
  policy: Policy,
  version: number,
  userId: string,
  role: Role,
): EffectivePolicy {
  const usesModels = role !== 'viewer';
  const upstreams = policy.upstreams
    .filter((u) => policy.privacyMode !== 'offline' || u.kind === 'onprem')
    .map((u) => ({
      name: u.name,
      kind: u.kind,
      redacted:
        u.kind === 'cloud'
          ? policy.privacyMode === 'sensitive' || policy.redaction.cloud
          : policy.redaction.onprem,
      models: u.models,
    }));
  return {
    userId,
    role,
    version,
    privacyMode: policy.privacyMode,
    models: {
      allow: usesModels ? [...(policy.models.allow[role] ?? [])] : [],
      default: policy.models.default ?? null,
      aliases: usesModels ? { ...policy.models.aliases } : {},
    },
    upstreams: usesModels ? upstreams : [],
    platformUpstreams: usesModels ? policy.platformUpstreams : [],
    limits: {
      perUser: { ...policy.limits.perUser },
      perRole: { ...policy.limits.perRole[role] },
      perOrg: { ...policy.limits.perOrg },
    },
    monthlyQuota: policy.limits.monthlyQuota,
    redaction: {
      detectors: policy.redaction.detectors,
      customPatterns: policy.redaction.customPatterns.map((p) => p.name),
    },
  };
}
