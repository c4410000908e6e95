// Policy documents as the API sees them. In: strip the read-only `apiKeySet` marker, refuse
// a client-supplied ciphertext, validate everything and list every problem, then seal API
// keys. Out: never a key, sealed or not; `apiKeySet` says whether one is stored.
import {
  validatePolicy,
  type Policy,
  type PolicyProblem,
  type Role,
  type UpstreamKeyBox,
} from '@airlock/common';
import { rbacErrors } from '../errors.js';
import { ipAllowed } from './ip-allowlist.js';

/** The version the client read, from If-Match: "3" (as sent in ETag) or 3. */
export function parseIfMatch(header: string | undefined): number {
  if (header === undefined || header.trim() === '') throw rbacErrors.ifMatchRequired();
  const match = /^\s*(?:"(\d{1,9})"|(\d{1,9}))\s*$/.exec(header);
  if (!match) throw rbacErrors.ifMatchInvalid(); // W/"3", *, lists: not a precise version
  return Number(match[1] ?? match[2]);
}

export const etagOf = (version: number) => `"${version}"`;

export interface PrepareInput {
  orgId: string;
  /** The request body's policy document, as sent. */
  document: unknown;
  /** The current policy, whose sealed keys carry over when a PUT omits apiKey. */
  previous: Policy | null;
  keys: UpstreamKeyBox;
  /** The caller's address: a new allowlist must still admit it. */
  clientIp: string | undefined;
  /** Prefix for problem paths (the document's place in the request body). */
  pathPrefix?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a document for storage and seals its API keys. Returns every problem found
 * (schema and rbac's own checks) or the document to store, with only `apiKeyEnc` in it.
 */
export function preparePolicy(
  input: PrepareInput,
): { ok: true; policy: Policy } | { ok: false; problems: PolicyProblem[] } {
  const prefix = input.pathPrefix ?? '$';
  const at = (path: string) => (path === '$' ? prefix : prefix + path.slice(1));
  const problems: PolicyProblem[] = [];
  // Per upstream: false = delete the stored key; undefined = keep it unless apiKey replaces it.
  const keyIntent = new Map<number, boolean | undefined>();
  let document = input.document;
  if (isObject(document) && Array.isArray(document.upstreams)) {
    document = {
      ...document,
      upstreams: document.upstreams.map((u: unknown, i) => {
        if (!isObject(u)) return u;
        const { apiKeySet, ...rest } = u;
        if ('apiKeyEnc' in rest) {
          problems.push({
            path: at(`$.upstreams[${i}].apiKeyEnc`),
            message: 'is set by the server; send apiKey',
          });
        }
        if (apiKeySet !== undefined && typeof apiKeySet !== 'boolean') {
          problems.push({ path: at(`$.upstreams[${i}].apiKeySet`), message: 'must be true or false' });
        }
        if (apiKeySet === false && rest.apiKey !== undefined) {
          problems.push({
            path: at(`$.upstreams[${i}].apiKeySet`),
            message: 'cannot be false while apiKey is given',
          });
        }
        keyIntent.set(i, apiKeySet === false ? false : undefined);
        return rest;
      }),
    };
  }
  const result = validatePolicy(document);
  if (!result.ok) problems.push(...result.problems.map((p) => ({ ...p, path: at(p.path) })));
  if (result.ok && !ipAllowed(input.clientIp, result.policy.admin.ipAllowlist)) {
    problems.push({
      path: at('$.admin.ipAllowlist'),
      message: `would lock you out: your address ${input.clientIp ?? '(unknown)'} is not in it`,
    });
  }
  if (!result.ok || problems.length > 0) return { ok: false, problems };

  const previousKeys = new Map(
    (input.previous?.upstreams ?? []).filter((u) => u.apiKeyEnc).map((u) => [u.name, u.apiKeyEnc!]),
  );
  const policy: Policy = {
    ...result.policy,
    upstreams: result.policy.upstreams.map((u, i) => {
      const { apiKey, apiKeyEnc: _ignored, ...rest } = u;
      if (apiKey !== undefined) return { ...rest, apiKeyEnc: input.keys.seal(input.orgId, u.name, apiKey) };
      const kept = keyIntent.get(i) === false ? undefined : previousKeys.get(u.name);
      return kept ? { ...rest, apiKeyEnc: kept } : rest;
    }),
  };
  return { ok: true, policy };
}

export type PublicUpstream = Omit<Policy['upstreams'][number], 'apiKey' | 'apiKeyEnc'> & {
  apiKeySet: boolean;
};
export type PublicPolicy = Omit<Policy, 'upstreams'> & { upstreams: PublicUpstream[] };

/** The document as every API response shows it: keys replaced by `apiKeySet`. */
export function publicPolicy(policy: Policy): PublicPolicy {
  return {
    ...policy,
    upstreams: policy.upstreams.map(({ apiKey: _key, apiKeyEnc, ...rest }) => ({
      ...rest,
      apiKeySet: Boolean(apiKeyEnc),
    })),
  };
}

type Limit = { requestsPerMinute?: number; tokensPerMinute?: number };

/** The stricter of two limits, field by field (undefined = no limit). */
function stricter(a: Limit | undefined, b: Limit | undefined): Limit {
  const pick = (x?: number, y?: number) => (x === undefined ? y : y === undefined ? x : Math.min(x, y));
  const out: Limit = {};
  const rpm = pick(a?.requestsPerMinute, b?.requestsPerMinute);
  const tpm = pick(a?.tokensPerMinute, b?.tokensPerMinute);
  if (rpm !== undefined) out.requestsPerMinute = rpm;
  if (tpm !== undefined) out.tokensPerMinute = tpm;
  return out;
}

export interface EffectivePolicy {
  userId: string;
  role: Role;
  version: number;
  privacyMode: Policy['privacyMode'];
  models: { allow: string[]; default: string | null };
  upstreams: { name: string; kind: 'onprem' | 'cloud'; redacted: boolean; models: string[] }[];
  platformUpstreams: string[];
  limits: { perUser: Limit; perOrg: Limit };
  monthlyQuota: Policy['limits']['monthlyQuota'];
  redaction: { detectors: string[]; customPatterns: string[] };
}

/**
 * What one member may do under a policy: the models of their role (viewers: none), the
 * upstreams the privacy mode leaves (offline: on-prem only; sensitive and normal: both,
 * with redaction forced on for cloud in sensitive mode), and their per-minute limits, which
 * are the stricter of the role's limit and the per-user limit.
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
    },
    upstreams: usesModels ? upstreams : [],
    platformUpstreams: usesModels ? policy.platformUpstreams : [],
    limits: {
      perUser: stricter(policy.limits.perRole[role], policy.limits.perUser),
      perOrg: { ...policy.limits.perOrg },
    },
    monthlyQuota: policy.limits.monthlyQuota,
    redaction: {
      detectors: policy.redaction.detectors,
      customPatterns: policy.redaction.customPatterns.map((p) => p.name),
    },
  };
}
