// The org a platform route names (/api/v1/sso/orgs/:orgId/…). ctx.platformAdmin has already
// admitted only the platform admin; this finds the org and refuses writes to a suspended one
// (reads and removals stay open, so a suspended org can still be inspected and cleaned up).
import type { Request } from 'express';
import { AirlockError } from '@airlock/common';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { identityErrors } from '../errors.js';
import { findOrg } from '../store/orgs.js';

/** The named org's id, or undefined on the org's own path (no :orgId). */
export async function platformOrg(
  ctx: IdentityContext,
  req: Request,
  action: 'create' | 'read' | 'update' | 'delete',
): Promise<string | undefined> {
  const named = (req.params as { orgId?: string }).orgId;
  if (named === undefined) return undefined;
  const id = z.uuid().safeParse(named);
  const org = id.success ? await findOrg(ctx.db, { id: id.data }) : null;
  if (!org) throw identityErrors.orgNotFound();
  if (action !== 'read' && action !== 'delete' && org.status !== 'active') {
    throw new AirlockError('org_suspended', 'this organisation is suspended; activate it first');
  }
  return org.id;
}
