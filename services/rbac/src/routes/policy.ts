// /api/v1/policy: the org's versioned policy. Reads carry ETag = version; writes need
// If-Match with the version read (lost updates become 409), and every accepted change is
// announced on Redis so every replica's policy cache drops it at once.
import { assertCan, effectivePolicy, policySchema, publishPolicyChange, type Policy } from '@airlock/common';
import { Router } from 'express';
import { z } from 'zod';
import { etagOf, parseIfMatch, preparePolicy, publicPolicy } from '../domain/policy.js';
import { rbacErrors } from '../errors.js';
import type { RbacContext } from './context.js';
import { orgDoor } from './doors.js';
import { auditBase, orgPrincipalOf } from './request.js';
import type { StoredPolicy } from '../store/policies.js';
import { isUuid, jsonPath, parseBody } from './validation.js';

const comment = z.string().trim().max(500).optional();
const putBody = z.strictObject({ policy: z.unknown(), comment });
const rollbackBody = z.strictObject({ version: z.number().int().min(1), comment });
const versionParam = z.coerce.number().int().min(1).max(1e9);

function parseStored(row: StoredPolicy): Policy {
  return policySchema.parse(row.document);
}

function view(row: StoredPolicy | null) {
  if (!row)
    return {
      version: 0,
      createdAt: null,
      createdBy: null,
      comment: null,
      policy: publicPolicy(policySchema.parse({})),
    };
  return {
    version: row.version,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    comment: row.comment,
    policy: publicPolicy(parseStored(row)),
  };
}

export function policyRoutes(ctx: RbacContext): Router {
  const router = Router();

  // The full policy is admin material (upstreams, redaction, the allowlist): the door decides.
  const read = orgDoor(ctx, 'read', 'Policy', () => rbacErrors.forbidden('read the policy'));
  const change = orgDoor(ctx, 'update', 'Policy', () => rbacErrors.forbidden('change the policy'));

  async function announce(orgId: string, version: number): Promise<void> {
    ctx.access.policies.invalidate?.(orgId);
    try {
      await publishPolicyChange(ctx.redis.client, orgId, version);
    } catch (e) {
      // Committed already: replicas pick the change up when their cache entry expires.
      ctx.logger.warn({ err: (e as Error).message, orgId, version }, 'policy change not broadcast');
    }
  }

  router.get('/api/v1/policy', ...read, async (req, res) => {
    const { orgId } = orgPrincipalOf(req);
    const current = view(await ctx.policies.current(orgId));
    res.setHeader('ETag', etagOf(current.version));
    res.json(current);
  });

  router.put('/api/v1/policy', ...change, async (req, res) => {
    const { orgId, userId } = orgPrincipalOf(req);
    const expected = parseIfMatch(req.get('if-match'));
    const body = parseBody(putBody, req.body);
    if (body.policy === undefined)
      throw rbacErrors.invalid([{ path: jsonPath(['policy']), message: 'is required' }]);
    const currentRow = await ctx.policies.current(orgId);
    const currentVersion = currentRow?.version ?? 0;
    // Checked before validation so a stale editor learns about the conflict first.
    if (expected !== currentVersion) throw rbacErrors.versionConflict(currentVersion);
    // A stored document that no longer parses carries no keys over: they must be sent again.
    const previous = currentRow ? policySchema.safeParse(currentRow.document) : null;
    const prepared = preparePolicy({
      orgId,
      document: body.policy,
      previous: previous?.success ? previous.data : null,
      keys: ctx.keys,
      clientIp: req.ip,
      pathPrefix: '$.policy',
    });
    if (!prepared.ok)
      throw rbacErrors.invalid(prepared.problems, 'the policy is invalid; nothing was changed');
    const saved = await ctx.policies.append(orgId, expected, prepared.policy, {
      createdBy: userId,
      comment: body.comment ?? null,
    });
    ctx.audit.publish({
      ...auditBase(req, orgId),
      action: 'policy.updated',
      outcome: 'success',
      target: { type: 'policy', id: orgId },
      details: { version: saved.version, ...(currentRow ? { previousVersion: currentRow.version } : {}) },
    });
    await announce(orgId, saved.version);
    res.setHeader('ETag', etagOf(saved.version));
    res.json({ ...saved, policy: publicPolicy(prepared.policy) });
  });

  router.get('/api/v1/policy/versions', ...read, async (req, res) => {
    const { orgId } = orgPrincipalOf(req);
    const before = req.query.before === undefined ? undefined : versionParam.safeParse(req.query.before);
    if (before && !before.success)
      throw rbacErrors.invalid(
        [{ path: '$.before', message: 'must be a version number' }],
        'query is invalid',
      );
    const limit = ctx.config.AIRLOCK_POLICY_VERSIONS_PAGE;
    const data = await ctx.policies.list(orgId, { limit, before: before?.data });
    res.json({ data, nextBefore: data.length === limit ? data[data.length - 1]!.version : null });
  });

  router.get('/api/v1/policy/versions/:version', ...read, async (req, res) => {
    const { orgId } = orgPrincipalOf(req);
    const version = versionParam.safeParse(req.params.version);
    const row = version.success ? await ctx.policies.get(orgId, version.data) : null;
    if (!row) throw rbacErrors.versionNotFound();
    res.setHeader('ETag', etagOf(row.version));
    res.json(view(row));
  });

  // A rollback appends a copy of an old version (sealed keys included: they are bound to
  // the org and upstream name, not to a version). If-Match is optional here: the result
  // does not depend on what the caller last read, but a given If-Match is honoured.
  router.post('/api/v1/policy/rollback', ...change, async (req, res) => {
    const { orgId, userId } = orgPrincipalOf(req);
    const expectedHeader = req.get('if-match');
    const expected = expectedHeader === undefined ? undefined : parseIfMatch(expectedHeader);
    const body = parseBody(rollbackBody, req.body);
    const target = await ctx.policies.get(orgId, body.version);
    if (!target) throw rbacErrors.versionNotFound();
    const current = await ctx.policies.current(orgId);
    const currentVersion = current?.version ?? 0;
    if (expected !== undefined && expected !== currentVersion)
      throw rbacErrors.versionConflict(currentVersion);
    const policy = parseStored(target);
    const saved = await ctx.policies.append(orgId, currentVersion, policy, {
      createdBy: userId,
      comment: body.comment ?? `rollback to version ${body.version}`,
    });
    ctx.audit.publish({
      ...auditBase(req, orgId),
      action: 'policy.rolled_back',
      outcome: 'success',
      target: { type: 'policy', id: orgId },
      details: { version: saved.version, toVersion: body.version },
    });
    await announce(orgId, saved.version);
    res.setHeader('ETag', etagOf(saved.version));
    res.status(201).json({ ...saved, rolledBackTo: body.version, policy: publicPolicy(policy) });
  });

  // What a member may do: their own view for anyone, another member's for those who may
  // read members (admins and owners), and only within the caller's org.
  // Every org role reads its own (the door); whose view is asked for is checked below.
  const effective = orgDoor(ctx, 'read', 'EffectivePolicy', () =>
    rbacErrors.forbidden('read your effective policy'),
  );
  router.get('/api/v1/policy/effective', ...effective, async (req, res) => {
    const p = orgPrincipalOf(req);
    const requested = req.query.user;
    if (requested !== undefined && typeof requested !== 'string') {
      throw rbacErrors.invalid([{ path: '$.user', message: 'must be one user id' }], 'query is invalid');
    }
    const userId = requested ?? p.userId;
    if (!userId) throw rbacErrors.invalid([{ path: '$.user', message: 'is required' }], 'query is invalid');
    assertCan(req, 'read', 'EffectivePolicy', { orgId: p.orgId, userId }, () =>
      rbacErrors.forbidden(
        userId === p.userId ? 'read your effective policy' : "read another member's effective policy",
      ),
    );
    const member = isUuid(userId) ? await ctx.members.get(p.orgId, userId) : null;
    if (!member) throw rbacErrors.memberNotFound();
    const row = await ctx.policies.current(p.orgId);
    const policy = row ? parseStored(row) : policySchema.parse({});
    res.json(effectivePolicy(policy, row?.version ?? 0, member.userId, member.role));
  });

  return router;
}
