// The one policy decision for every route that reaches a model: may this principal use this
// model, which upstreams may serve it (privacy mode, destinations), in which order, and
// whether each needs redaction. Pure: no HTTP, no Redis; limits and routing come after.
import {
  defineAbilityFor,
  globToRegex,
  resolveModelAlias,
  subject,
  type Policy,
  type Principal,
} from '@airlock/common';
import { gatewayErrors } from '../errors.js';
import type { RouteTarget } from '../upstreams/client.js';

export type Endpoint =
  'chat.completions' | 'completions' | 'embeddings' | 'messages' | 'messages.count_tokens' | 'responses';

export interface Candidate {
  target: RouteTarget;
  redact: boolean;
}

export interface Decision {
  orgId: string;
  model: string;
  candidates: Candidate[];
}

const globCache = new Map<string, RegExp>();
export function matchesGlob(glob: string, name: string): boolean {
  let re = globCache.get(glob);
  if (!re) {
    re = new RegExp(globToRegex(glob));
    if (globCache.size > 10_000) globCache.clear();
    globCache.set(glob, re);
  }
  return re.test(name);
}

/**
 * The model a request is for: the name the caller sent, or the model a policy alias maps
 * it to (models.aliases: exact name first, then the longest matching pattern). Everything
 * after this (allow list, upstreams, limits, audit) sees the resolved name.
 */
export function resolveModel(policy: Policy, requested: string): string {
  return resolveModelAlias(policy.models.aliases, requested) ?? requested;
}

/** Ability cache: the 'use Model' rules depend only on org policy version and role. */
const abilities = new Map<string, ReturnType<typeof defineAbilityFor>>();
export function mayUseModel(principal: Principal, policy: Policy, version: number, model: string): boolean {
  const role = principal.role;
  if (!role || !principal.orgId) return false;
  const key = `${principal.orgId}|${version}|${role}`;
  let ability = abilities.get(key);
  if (!ability) {
    ability = defineAbilityFor(principal, { allowedModels: policy.models.allow[role] ?? [] });
    if (abilities.size > 10_000) abilities.clear();
    abilities.set(key, ability);
  }
  return ability.can('use', subject('Model', { name: model }));
}

/** Upstreams that serve `model`, in policy order (the fallback chain), with the name each knows it by. */
export function upstreamsFor(orgId: string, policy: Policy, model: string): RouteTarget[] {
  const out: RouteTarget[] = [];
  for (const u of policy.upstreams) {
    const alias = Object.hasOwn(u.aliases, model) ? u.aliases[model] : undefined;
    if (alias === undefined && !u.models.some((g) => matchesGlob(g, model))) continue;
    out.push({
      orgId,
      name: u.name,
      kind: u.kind,
      provider: u.provider,
      baseUrl: u.baseUrl,
      timeoutMs: u.timeoutMs,
      connectTimeoutMs: u.connectTimeoutMs,
      apiKeyEnc: u.apiKeyEnc,
      upstreamModel: alias ?? model,
    });
  }
  return out;
}

/** Does a request to an upstream of this kind get redacted under this policy? */
export function redactionRequired(policy: Policy, kind: 'onprem' | 'cloud'): boolean {
  if (kind === 'cloud') return policy.privacyMode === 'sensitive' || policy.redaction.cloud;
  return policy.redaction.onprem;
}

export interface DecideInput {
  principal: Principal;
  policy: Policy;
  policyVersion: number;
  model: string;
  /** The destination check (allowlist, air-gap), applied before anything is dialled. */
  destinationAllowed: (target: RouteTarget) => boolean;
}

export function decide({
  principal,
  policy,
  policyVersion,
  model,
  destinationAllowed,
}: DecideInput): Decision {
  const orgId = principal.orgId;
  if (!orgId) throw gatewayErrors.noOrg();
  if (!mayUseModel(principal, policy, policyVersion, model)) throw gatewayErrors.modelForbidden(model);
  let targets = upstreamsFor(orgId, policy, model);
  if (targets.length === 0) throw gatewayErrors.noRoute(model);
  if (policy.privacyMode === 'offline') {
    targets = targets.filter((t) => t.kind === 'onprem');
    if (targets.length === 0) throw gatewayErrors.offlineRefusesCloud(model);
  }
  const allowed = targets.filter(destinationAllowed);
  if (allowed.length === 0) throw gatewayErrors.upstreamHostRefused(targets[0]!.name);
  return {
    orgId,
    model,
    candidates: allowed.map((target) => ({ target, redact: redactionRequired(policy, target.kind) })),
  };
}

/**
 * Model names the principal may use, for GET /v1/models: every exact policy alias, every
 * upstream alias and every plain (non-glob) model name of an upstream it may reach, each
 * resolved and checked as a request for it would be.
 */
export function listModels(input: Omit<DecideInput, 'model'>): string[] {
  const { principal, policy, policyVersion, destinationAllowed } = input;
  const orgId = principal.orgId;
  if (!orgId) throw gatewayErrors.noOrg();
  const names = new Set<string>();
  for (const u of policy.upstreams) {
    if (policy.privacyMode === 'offline' && u.kind === 'cloud') continue;
    for (const name of [...Object.keys(u.aliases), ...u.models.filter((m) => !m.includes('*'))])
      names.add(name);
  }
  // Exact policy aliases (opus, sonnet…) are names a client may pick; patterns are not listed.
  for (const name of Object.keys(policy.models.aliases)) if (!name.includes('*')) names.add(name);
  return [...names]
    .filter((name) => {
      const model = resolveModel(policy, name); // a listed name must work as it would in a request
      return (
        mayUseModel(principal, policy, policyVersion, model) &&
        upstreamsFor(orgId, policy, model).some(
          (t) => (policy.privacyMode !== 'offline' || t.kind === 'onprem') && destinationAllowed(t),
        )
      );
    })
    .sort();
}
