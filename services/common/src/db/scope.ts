// Org scoping for Postgres row-level security (prisma/migrations/*_row_level_security).
// Every query on an org-scoped table runs in a transaction that first sets either
// airlock.org_id or airlock.system; set_config(..., true) lasts only for that transaction,
// so a pooled connection never carries one request's org into the next.
import type { PrismaClient } from '../generated/prisma/client.js';
import { UUID_PATTERN } from './uuid.js';

const UUID = UUID_PATTERN;

export type Scope = { orgId: string } | { system: true };

/** The transaction client Prisma hands to an interactive transaction. */
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** The setting row-level security reads for a scope (shared with db/sql.ts). */
export function scopeSettings(scope: Scope): [string, string] {
  if ('system' in scope) return ['airlock.system', 'on'];
  // Checked here because a malformed id would surface as an opaque cast error inside a policy.
  if (!UUID.test(scope.orgId)) throw new TypeError('org id must be a UUID');
  return ['airlock.org_id', scope.orgId];
}

async function applyScope(tx: Tx | PrismaClient, scope: Scope): Promise<void> {
  const [name, value] = scopeSettings(scope);
  await tx.$executeRaw`SELECT set_config(${name}, ${value}, true)`;
}

/** A client whose every model query runs inside `scope` (one short transaction each). */
export function scopedClient(prisma: PrismaClient, scope: Scope) {
  const [name, value] = scopeSettings(scope);
  return prisma.$extends({
    name: 'airlock-scope',
    query: {
      $allModels: {
        async $allOperations({ args, query }) {
          const [, result] = await prisma.$transaction([
            prisma.$executeRaw`SELECT set_config(${name}, ${value}, true)`,
            query(args),
          ]);
          return result;
        },
      },
    },
  });
}

export type ScopedClient = ReturnType<typeof scopedClient>;

/** Runs several statements in one transaction inside `scope`. */
export async function inScope<T>(prisma: PrismaClient, scope: Scope, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return prisma.$transaction(async (tx) => {
    await applyScope(tx, scope);
    return fn(tx);
  });
}
