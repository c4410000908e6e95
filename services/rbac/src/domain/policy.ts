// Policy documents as the API sees them. In: strip the read-only `apiKeySet` marker, refuse
// a client-supplied ciphertext, validate everything and list every problem, then seal API
// keys. Out: never a key, sealed or not; `apiKeySet` says whether one is stored.
import {
  isLinkLocalHost,
  validatePolicy,
  type Policy,
  type PolicyProblem,
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
  if (result.ok) {
    for (const [i, u] of result.policy.upstreams.entries()) {
      if (isLinkLocalHost(new URL(u.baseUrl).hostname)) {
        problems.push({
          path: at(`$.upstreams[${i}].baseUrl`),
          message: 'must not be a link-local or cloud metadata address',
        });
      }
    }
  }
  if (result.ok && !ipAllowed(input.clientIp, result.policy.admin.ipAllowlist)) {
    problems.push({
      path: at('$.admin.ipAllowlist'),
      message: `would lock you out: your address ${input.clientIp ?? '(unknown)'} is not in it`,
    });
  }
  // A stored key follows its upstream only while the destination stays the same: otherwise
  // an admin could re-point a named upstream at their own server and receive the key.
  const previousKeys = new Map(
    (input.previous?.upstreams ?? [])
      .filter((u) => u.apiKeyEnc)
      .map((u) => [u.name, { enc: u.apiKeyEnc!, destination: destinationOf(u) }]),
  );
  if (result.ok) {
    for (const [i, u] of result.policy.upstreams.entries()) {
      const previous = previousKeys.get(u.name);
      if (u.apiKey !== undefined || keyIntent.get(i) === false || !previous) continue;
      if (previous.destination !== destinationOf(u)) {
        problems.push({
          path: at(`$.upstreams[${i}].apiKey`),
          message: 'must be sent again: the base URL or provider changed, and a stored key never follows it',
        });
      }
    }
  }
  if (!result.ok || problems.length > 0) return { ok: false, problems };

  const policy: Policy = {
    ...result.policy,
    upstreams: result.policy.upstreams.map((u, i) => {
      const { apiKey, apiKeyEnc: _ignored, ...rest } = u;
      if (apiKey !== undefined) return { ...rest, apiKeyEnc: input.keys.seal(input.orgId, u.name, apiKey) };
      const kept = keyIntent.get(i) === false ? undefined : previousKeys.get(u.name)?.enc;
      return kept ? { ...rest, apiKeyEnc: kept } : rest;
    }),
  };
  return { ok: true, policy };
}

/** Where a key would be sent: the origin of the base URL plus the provider's wire format. */
function destinationOf(u: { baseUrl: string; provider: string }): string {
  return `${u.provider} ${new URL(u.baseUrl).origin}`;
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
