// The closed list of audit actions and, for each, the only keys its `details` may hold.
// Metadata only: nothing here can carry prompt, completion or message text. Adding an action
// means adding it here (sorted); the audit service rejects anything else at ingest too.
import { z } from 'zod';
import { ROLES } from '../access/abilities.js';
import { isGatewayErrorCode, LOGIN_FAILURE_REASONS } from './vocabularies.js';

const id = z.string().min(1).max(128);
const count = z.number().int().min(0);
const role = z.enum(ROLES);
const authMethod = z.enum(['saml', 'oidc', 'local', 'token', 'scim']);
/** The OAuth clients the device grant knows (identity's domain/device-grant.ts). */
const deviceClient = z.enum(['airlock-cli']);

/** The gateway endpoints an `ai.request` event names (the fast-path check in event.ts reads this too). */
export const AI_ENDPOINTS = [
  'chat.completions',
  'completions',
  'embeddings',
  'messages',
  'messages.count_tokens',
  'models',
  'responses',
] as const;

export const ACTION_DETAILS = {
  'ai.request': z.strictObject({
    model: z.string().max(256),
    /** The name the caller sent, when a policy alias mapped it to `model`. */
    requestedModel: z.string().max(256).optional(),
    upstream: z.string().max(128).optional(),
    endpoint: z.enum(AI_ENDPOINTS),
    /** The calling tool, from its user agent (claude-code, codex, openai-sdk, curl…). */
    clientTool: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/)
      .optional(),
    status: z.number().int(),
    stream: z.boolean(),
    promptTokens: count.optional(),
    completionTokens: count.optional(),
    usageEstimated: z.boolean().optional(),
    latencyMs: z.number().min(0),
    ttfbMs: z.number().min(0).optional(),
    tokenId: id.optional(),
    redactions: z.record(z.string().max(64), count).optional(),
    errorCode: z.string().max(64).refine(isGatewayErrorCode, 'not a listed gateway error code').optional(),
    cached: z.boolean().optional(),
  }),
  'audit.exported': z.strictObject({
    format: z.enum(['ndjson', 'csv']),
    filters: z.record(z.string(), z.string()).optional(),
  }),
  'auth.login': z.strictObject({ method: authMethod, connectionId: id.optional() }),
  'auth.login_failed': z.strictObject({
    method: authMethod,
    reason: z.enum(LOGIN_FAILURE_REASONS),
    connectionId: id.optional(),
    username: z.string().max(256).optional(),
  }),
  'auth.logout': z.strictObject({}),
  'auth.mfa_enrolled': z.strictObject({}),
  // The CLI sign-in (OAuth device grant, RFC 8628). Codes and tokens never appear, only outcomes.
  'device.approved': z.strictObject({ clientId: deviceClient }),
  'device.code_issued': z.strictObject({ clientId: deviceClient, expiresAt: z.iso.datetime() }),
  'device.code_rejected': z.strictObject({
    reason: z.enum(['unknown_code', 'expired_code', 'already_decided', 'wrong_org', 'throttled']),
  }),
  'device.denied': z.strictObject({ clientId: deviceClient }),
  'device.token_issued': z.strictObject({ clientId: deviceClient, expiresAt: z.iso.datetime() }),
  'device.token_refused': z.strictObject({
    reason: z.enum(['access_denied', 'expired_token', 'invalid_grant', 'session_ended']),
  }),
  'identity.linked': z.strictObject({
    connectionId: id,
    protocol: z.enum(['saml', 'oidc']),
    by: z.literal('verified_email'),
  }),
  'member.added': z.strictObject({ role }),
  'member.invitation_accepted': z.strictObject({ role }),
  'member.invitation_revoked': z.strictObject({ role }),
  'member.invited': z.strictObject({ role, expiresAt: z.iso.datetime() }),
  'member.removed': z.strictObject({ role }),
  'member.role_changed': z.strictObject({ before: role, after: role }),
  'org.created': z.strictObject({ slug: z.string().max(64) }),
  'org.suspended': z.strictObject({}),
  'org.updated': z.strictObject({ fields: z.array(z.string().max(64)).max(32) }),
  'policy.rolled_back': z.strictObject({ version: count, toVersion: count }),
  'policy.updated': z.strictObject({ version: count, previousVersion: count.optional() }),
  'scim.user_created': z.strictObject({}),
  'scim.user_deactivated': z.strictObject({}),
  'scim.user_updated': z.strictObject({ fields: z.array(z.string().max(64)).max(32).optional() }),
  'session.revoked': z.strictObject({ count: count.optional() }),
  'sso.created': z.strictObject({ protocol: z.enum(['saml', 'oidc']) }),
  'sso.deleted': z.strictObject({ protocol: z.enum(['saml', 'oidc']) }),
  'sso.updated': z.strictObject({ protocol: z.enum(['saml', 'oidc']) }),
  'token.created': z.strictObject({ expiresAt: z.iso.datetime().optional() }),
  'token.revoked': z.strictObject({ count: count.optional() }),
  'token.rotated': z.strictObject({ graceSeconds: count.optional() }),
} as const;

export type AuditAction = keyof typeof ACTION_DETAILS;
export const AUDIT_ACTIONS = Object.keys(ACTION_DETAILS) as AuditAction[];
export type AuditDetails<A extends AuditAction> = z.input<(typeof ACTION_DETAILS)[A]>;
