// The one policy decision for every route that reaches a model: may this principal use this
// model, which upstreams may serve it (privacy mode, destinations), in which order, and
// whether each needs redaction. Pure: no HTTP, no Redis; limits and routing come after.
import {
  defineAbilityFor,
  globMatches,
  noOrgError,
  resolveModelAlias,
  subject,
  type AirlockError,
  type AppAbility,
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
  /** The model decided on: the request's, or the policy alias's target. */
  model: string;
  candidates: Candidate[];
  /** The candidates' targets, in order (what the upstream client walks). */
  targets: RouteTarget[];
  /** Whether any candidate needs the body redacted. */
  redacts: boolean;
}

/**
 * The model a request is for: the name the caller sent, or the model a policy alias maps
 * it to (models.aliases: exact name first, then the longest matching pattern). Everything
 * after this (allow list, upstreams, limits, audit) sees the resolved name.
 */
export function resolveModel(policy: Policy, requested: string): string {
  return resolveModelAlias(policy.models.aliases, requested) ?? requested;
}

/** Ability cache: the Model rules depend only on the org, its policy version and the role. */
const abilities = new Map<string, AppAbility>();

/**
 * The model ability of the principal's role under this policy version: what every /v1 route
 * authorizes with (authorize()'s ability) and what the role_ability and model_allowed steps
 * ask. It is the role's, not the person's: built for the role alone, so a cached ability
 * never carries another user's own-record rules. It is abilityOf(req) on the /v1 routes, and
 * nothing but Model questions are asked of it.
 */
export function roleModelAbility(principal: Principal, policy: Policy, version: number): AppAbility {
  const { orgId, role } = principal;
  const key = `${orgId}|${version}|${role}`;
  let ability = abilities.get(key);
  if (!ability) {
    const allowedModels = role ? (policy.models.allow[role] ?? []) : [];
    ability = defineAbilityFor(
      {
        kind: principal.kind,
        userId: null,
        email: null,
        orgId,
        role,
        isPlatformAdmin: false,
        expiresAt: null,
      },
      { allowedModels },
    );
    if (abilities.size > 10_000) abilities.clear();
    abilities.set(key, ability);
  }
  return ability;
}

function mayUseModel(ability: AppAbility, model: string): boolean {
  return ability.can('use', subject('Model', { name: model }));
}

/** Upstreams that serve `model`, in policy order (the fallback chain), with the name each knows it by. */
export function upstreamsFor(orgId: string, policy: Policy, model: string): RouteTarget[] {
  const out: RouteTarget[] = [];
  for (const u of policy.upstreams) {
    const alias = Object.hasOwn(u.aliases, model) ? u.aliases[model] : undefined;
    if (alias === undefined && !u.models.some((g) => globMatches(g, model))) continue;
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
  /** The role's model ability under this policy (roleModelAbility): the one source of model rules. */
  ability: AppAbility;
  model: string;
  /** The destination check (allowlist, air-gap), applied before anything is dialled. */
  destinationAllowed: (target: RouteTarget) => boolean;
}

/** The policy steps, in the order the gate applies them (limits and upstream health follow). */
export type PolicyStepId = 'role_ability' | 'model_allowed' | 'alias' | 'privacy_mode' | 'destination';
export type StepId = PolicyStepId | 'limits' | 'upstream_available';

export interface Step {
  id: StepId;
  outcome: 'pass' | 'fail' | 'skip';
  /** A sentence for a person; names models, roles and upstreams, never URLs or keys. */
  message: string;
  /** The error code the gateway answers with, on the failing step. */
  code?: string;
}

export interface Evaluation {
  steps: Step[];
  /** Set when every step passed. */
  decision?: Decision;
  /** The error the gateway throws, when a step failed. */
  refusal?: AirlockError;
  /** The name the first usable upstream is sent (after the policy's and its own aliases); the request's name otherwise. */
  resolvedModel: string;
}

/**
 * The policy decision, one named step at a time: the gate throws the first refusal
 * (decide() below), the access explainer shows every step. One function, so the explainer
 * cannot drift from what the gate does.
 */
export function evaluatePolicy({
  principal,
  policy,
  ability,
  model: requested,
  destinationAllowed,
}: DecideInput): Evaluation {
  const orgId = principal.orgId;
  if (!orgId) throw noOrgError(); // authorize() has refused such a request already
  // A policy alias (models.aliases) is resolved first: every step below judges its target.
  const model = resolveModel(policy, requested);
  const viaAlias = model === requested ? '' : `"${requested}" is a policy alias of "${model}"; `;
  const steps: Step[] = [];
  let resolvedModel = model;
  const refuse = (id: PolicyStepId, refusal: AirlockError): Evaluation => {
    steps.push({ id, outcome: 'fail', message: refusal.message, code: refusal.code });
    return { steps, refusal, resolvedModel };
  };
  const role = principal.role ?? 'none';
  // A role with no model ability fails model_allowed too: the gate's answer is the same.
  if (!ability.can('use', 'Model')) {
    return refuse('role_ability', gatewayErrors.modelForbidden(model));
  }
  steps.push({ id: 'role_ability', outcome: 'pass', message: `the ${role} role may use models` });
  if (!mayUseModel(ability, model)) {
    return refuse('model_allowed', gatewayErrors.modelForbidden(model));
  }
  steps.push({
    id: 'model_allowed',
    outcome: 'pass',
    message: `${viaAlias}"${model}" matches the models the ${role} role may use`,
  });
  let targets = upstreamsFor(orgId, policy, model);
  if (targets.length === 0) return refuse('alias', gatewayErrors.noRoute(model));
  resolvedModel = targets[0]!.upstreamModel;
  const aliased = targets.filter((t) => t.upstreamModel !== model);
  steps.push({
    id: 'alias',
    outcome: 'pass',
    message:
      aliased.length === 0
        ? `served as "${model}" by ${targets.map((t) => t.name).join(', ')}`
        : `an alias: ${aliased.map((t) => `${t.name} serves it as "${t.upstreamModel}"`).join(', ')}`,
  });
  if (policy.privacyMode === 'offline') {
    targets = targets.filter((t) => t.kind === 'onprem');
    if (targets.length === 0) return refuse('privacy_mode', gatewayErrors.offlineRefusesCloud(model));
  }
  resolvedModel = targets[0]!.upstreamModel;
  steps.push({
    id: 'privacy_mode',
    outcome: 'pass',
    message:
      policy.privacyMode === 'offline'
        ? 'offline mode: only on-prem upstreams are used'
        : policy.privacyMode === 'sensitive'
          ? 'sensitive mode: requests to cloud upstreams are redacted'
          : `privacy mode ${policy.privacyMode}`,
  });
  const allowed = targets.filter(destinationAllowed);
  if (allowed.length === 0) return refuse('destination', gatewayErrors.upstreamHostRefused(targets[0]!.name));
  resolvedModel = allowed[0]!.upstreamModel;
  const refused = targets.filter((t) => !allowed.includes(t)).map((t) => t.name);
  steps.push({
    id: 'destination',
    outcome: 'pass',
    message:
      refused.length === 0
        ? `every upstream for it is an allowed destination (${allowed.map((t) => t.name).join(', ')})`
        : `${allowed.map((t) => t.name).join(', ')} allowed; ${refused.join(', ')} not an allowed destination`,
  });
  return {
    steps,
    resolvedModel,
    decision: decisionOf(orgId, model, policy, allowed),
  };
}

function decisionOf(orgId: string, model: string, policy: Policy, allowed: RouteTarget[]): Decision {
  const candidates = allowed.map((target) => ({ target, redact: redactionRequired(policy, target.kind) }));
  return { orgId, model, candidates, targets: allowed, redacts: candidates.some((c) => c.redact) };
}

/** Whether the body sent to this target is redacted (false for a target not among the candidates). */
export function redactsFor(decision: Decision, target: RouteTarget): boolean {
  for (const c of decision.candidates) if (c.target === target) return c.redact;
  return false;
}

/** The gate's decision: the evaluation's first refusal, thrown. */
export function decide(input: DecideInput): Decision {
  const evaluation = evaluatePolicy(input);
  if (evaluation.refusal) throw evaluation.refusal;
  return evaluation.decision!;
}

/**
 * Model names the principal may use, for GET /v1/models: every exact policy alias, every
 * upstream alias and every plain (non-glob) model name of an upstream it may reach, each
 * resolved and checked as a request for it would be.
 */
export function listModels(input: Omit<DecideInput, 'model'>): string[] {
  const { principal, policy, ability, destinationAllowed } = input;
  const orgId = principal.orgId;
  if (!orgId) throw noOrgError(); // authorize() has refused such a request already
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
        mayUseModel(ability, model) &&
        upstreamsFor(orgId, policy, model).some(
          (t) => (policy.privacyMode !== 'offline' || t.kind === 'onprem') && destinationAllowed(t),
        )
      );
    })
    .sort();
}

/**
 * decide() kept per policy, role ability and model: a granted decision depends on nothing
 * else (the destination check is this cache's own, fixed for the process), so every request
 * after the first for a model skips the evaluation and its step sentences. A new policy
 * version is a new policy object, so it starts empty; refusals are not kept (each throws its
 * own error). Bounded per ability, since callers name the models.
 */
export class DecisionCache {
  private readonly byPolicy = new WeakMap<Policy, WeakMap<AppAbility, Map<string, Decision>>>();

  constructor(
    private readonly destinationAllowed: (target: RouteTarget) => boolean,
    private readonly maxModels = 1000,
  ) {}

  decide(input: Omit<DecideInput, 'destinationAllowed'>): Decision {
    let byAbility = this.byPolicy.get(input.policy);
    if (!byAbility) {
      byAbility = new WeakMap();
      this.byPolicy.set(input.policy, byAbility);
    }
    let byModel = byAbility.get(input.ability);
    const hit = byModel?.get(input.model);
    if (hit && hit.orgId === input.principal.orgId) return hit;
    const decision = decide({ ...input, destinationAllowed: this.destinationAllowed });
    if (!byModel) {
      byModel = new Map();
      byAbility.set(input.ability, byModel);
    }
    if (byModel.size >= this.maxModels) byModel.clear();
    // Shared by every request for this model from now on: nobody may change it.
    for (const c of decision.candidates) Object.freeze(Object.freeze(c).target);
    Object.freeze(decision.candidates);
    Object.freeze(decision.targets);
    byModel.set(input.model, Object.freeze(decision));
    return decision;
  }
}
