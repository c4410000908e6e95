// The org policy document admins set (rbac stores and versions it; every service reads it).
// Field by field documentation: docs/policy.md. Unknown keys are refused, so a typo in a
// policy is an error, not a silently ignored setting.
import { DestinationPolicy } from '../net/destinations.js';
import { isIP } from 'node:net';
import { z } from 'zod';
import { compileLinear } from './bounded-regex.js';
import { problemsOf, type Problem } from '../http/validation.js';

const modelGlob = z
  .string()
  .regex(/^[A-Za-z0-9._:/@*-]{1,128}$/, 'must be a model name or glob like llama-3.*');
/** A model name, not a glob (a default, an alias's target). */
const modelName = z.string().regex(/^[A-Za-z0-9._:/@-]{1,128}$/, 'must be a model name (no wildcards)');
const perMinute = z.number().int().min(0).max(1_000_000_000);

export const limitSchema = z.strictObject({
  requestsPerMinute: perMinute.optional(),
  tokensPerMinute: perMinute.optional(),
});

export const quotaSchema = z.strictObject({
  requests: z.number().int().min(0).optional(),
  tokens: z.number().int().min(0).optional(),
});

const upstreamName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes');

/** http(s) only, and no credentials in the URL: keys go in apiKey, where they are sealed. */
const upstreamUrl = z
  .url()
  .max(2048)
  .refine((v) => /^https?:$/.test(new URL(v).protocol), 'must be an http:// or https:// URL')
  .refine((v) => {
    const u = new URL(v);
    return u.username === '' && u.password === '';
  }, 'must not hold credentials; set apiKey instead');

/**
 * Link-local literals (169.254.0.0/16, fe80::/10) include the cloud metadata endpoint
 * (169.254.169.254): never a model server. rbac refuses them when a policy is written; it
 * is not a schema rule, so a stored document still parses and the gateway's own check on
 * the resolved address (at connection time) answers for it.
 */
export function isLinkLocalHost(hostname: string): boolean {
  // The shared outbound guard (net/destinations.ts) decides, in every written form.
  return LITERAL_GUARD.hostVerdict(hostname) === 'refused';
}
/** Loopback is a deployment choice (AIRLOCK_ALLOW_LOOPBACK_UPSTREAMS), checked by the gateway. */
const LITERAL_GUARD = new DestinationPolicy({ allowlist: [], allowLoopback: true });

/** "10.0.0.0/8", "2001:db8::/32", or a single address. */
export function isCidr(value: string): boolean {
  const [address = '', prefix, extra] = value.split('/');
  if (extra !== undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Refuses nested quantifiers such as (a+)+ or (\w*)*, the shape behind catastrophic
 * backtracking: the gateway runs these patterns over every prompt, so one bad pattern
 * could stall it. A conservative check (it may refuse some safe patterns), not a proof.
 */
export function hasNestedQuantifier(pattern: string): boolean {
  const groups: boolean[] = []; // per open group: does it contain a quantifier?
  let lastClosedHadQuantifier = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const afterGroup = lastClosedHadQuantifier;
    lastClosedHadQuantifier = false;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      // Skip a character class, escapes included.
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      continue;
    }
    if (c === '(') groups.push(false);
    else if (c === ')') lastClosedHadQuantifier = groups.pop() ?? false;
    else if (c === '*' || c === '+' || c === '{') {
      if (afterGroup) return true;
      if (groups.length > 0) groups[groups.length - 1] = true;
    }
    // A quantified group counts as a quantifier inside its parent group.
    if (c === ')' && lastClosedHadQuantifier && groups.length > 0) groups[groups.length - 1] = true;
  }
  return false;
}

/** The gateway matches custom patterns with RE2 (linear time): what RE2 cannot compile is refused. */
function compiles(pattern: string): boolean {
  try {
    compileLinear(pattern);
    return true;
  } catch {
    return false;
  }
}

export const upstreamSchema = z.strictObject({
  name: upstreamName,
  baseUrl: upstreamUrl,
  kind: z.enum(['onprem', 'cloud']),
  provider: z.enum(['openai-compatible', 'vllm', 'ollama', 'tgi', 'llamacpp', 'openai']),
  /** Write-only in the API; stored sealed (apiKeyEnc) and never returned. */
  apiKey: z.string().min(1).max(4096).optional(),
  apiKeyEnc: z.string().optional(),
  timeoutMs: z.number().int().min(100).max(600_000).default(60_000),
  connectTimeoutMs: z.number().int().min(10).max(60_000).default(5_000),
  /** Model globs this upstream serves. */
  models: z.array(modelGlob).default(['*']),
  /** Public name -> the upstream's own model name. */
  aliases: z.record(z.string().max(128), z.string().max(128)).default({}),
});

export const redactionSchema = z.strictObject({
  /** Redact before upstreams of this kind (sensitive privacy mode forces cloud on). */
  cloud: z.boolean().default(true),
  onprem: z.boolean().default(false),
  detectors: z
    .array(z.enum(['secrets', 'emails', 'phones', 'cards', 'iban', 'ssn']))
    .default(['secrets', 'emails', 'phones', 'cards', 'iban', 'ssn']),
  customPatterns: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z0-9_]{1,32}$/, 'lower-case letters, digits and underscores'),
        pattern: z
          .string()
          .min(1)
          .max(512)
          .refine(compiles, 'must be a valid RE2 regular expression (no lookaround or backreferences)')
          .refine(
            (p) => !hasNestedQuantifier(p),
            'must not nest quantifiers like (a+)+ (catastrophic backtracking)',
          ),
      }),
    )
    .max(50)
    .default([]),
});

const byRole = <T extends z.ZodType>(schema: T) =>
  z.strictObject({
    owner: schema.optional(),
    admin: schema.optional(),
    member: schema.optional(),
    viewer: schema.optional(),
  });

export const policySchema = z.strictObject({
  /** normal: on-prem and cloud; sensitive: cloud only with redaction; offline: on-prem only. */
  privacyMode: z.enum(['normal', 'sensitive', 'offline']).default('normal'),
  models: z
    .strictObject({
      /** Model globs each role may use. Viewers use no models. */
      allow: byRole(z.array(modelGlob)).default({}),
      /** Used when a request names no model; a model name, not a glob. */
      default: modelName.optional(),
      /**
       * Requested name or glob -> the model to use instead ("claude-*": "qwen3-coder").
       * Resolved before the allow list, which is checked against the target; exact beats
       * wildcard, the longest pattern wins (aliases.ts).
       */
      aliases: z
        .record(modelGlob, modelName)
        .refine((a) => Object.keys(a).length <= 200, 'at most 200 aliases')
        .default({}),
    })
    .default({ allow: {}, aliases: {} }),
  upstreams: z
    .array(upstreamSchema)
    .max(64)
    .default([])
    .superRefine((upstreams, ctx) => {
      const seen = new Set<string>();
      for (const [i, u] of upstreams.entries()) {
        if (seen.has(u.name))
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'duplicate upstream name' });
        seen.add(u.name);
      }
    }),
  /** Names of platform-level upstreams this org may use. */
  platformUpstreams: z.array(upstreamName).max(64).default([]),
  limits: z
    .strictObject({
      perRole: byRole(limitSchema).default({}),
      perUser: limitSchema.optional(),
      perOrg: limitSchema.optional(),
      monthlyQuota: z
        .strictObject({ perUser: quotaSchema.optional(), perOrg: quotaSchema.optional() })
        .default({}),
    })
    .default({ perRole: {}, monthlyQuota: {} }),
  redaction: redactionSchema.default({
    cloud: true,
    onprem: false,
    detectors: ['secrets', 'emails', 'phones', 'cards', 'iban', 'ssn'],
    customPatterns: [],
  }),
  responseCache: z
    .strictObject({
      enabled: z.boolean().default(false),
      ttlSeconds: z.number().int().min(1).max(86_400).default(300),
    })
    .default({ enabled: false, ttlSeconds: 300 }),
  admin: z
    .strictObject({
      /** CIDRs allowed to call the admin APIs; empty = anywhere. */
      ipAllowlist: z
        .array(z.string().max(64).refine(isCidr, 'must be an IP address or CIDR like 10.0.0.0/8'))
        .max(100)
        .default([]),
    })
    .default({ ipAllowlist: [] }),
  sessions: z
    .strictObject({
      idleMinutes: z
        .number()
        .int()
        .min(5)
        .max(7 * 24 * 60)
        .default(60),
      absoluteHours: z
        .number()
        .int()
        .min(1)
        .max(30 * 24)
        .default(12),
    })
    .default({ idleMinutes: 60, absoluteHours: 12 }),
  audit: z
    .strictObject({ retentionDays: z.number().int().min(1).max(3650).default(90) })
    .default({ retentionDays: 90 }),
});

export type PolicyInput = z.input<typeof policySchema>;
export type Policy = z.output<typeof policySchema>;

/** The policy of an org that never set one: nothing allowed, on-prem only defaults. */
export const DEFAULT_POLICY: Policy = policySchema.parse({});

export type PolicyProblem = Problem;

/** Validates a document, listing every problem by JSON path ($.limits.perRole.member…). */
export function validatePolicy(
  value: unknown,
): { ok: true; policy: Policy } | { ok: false; problems: PolicyProblem[] } {
  const result = policySchema.safeParse(value);
  if (result.success) return { ok: true, policy: result.data };
  return {
    ok: false,
    problems: problemsOf(result.error.issues),
  };
}
