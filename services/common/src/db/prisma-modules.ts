// Prisma's generated client (with its runtime) and its pg driver adapter, loaded on a handle's
// first Prisma use instead of at import: a process that queries only through db.sql (the
// gateway's hot path) never loads them (6–10 MB less RSS in the gateway). require() of an ES module is
// synchronous (Node 20.19+, 22.12+), so `db.system` and `db.prisma` stay plain properties.
// Where Node cannot require() an ES module (22.0–22.11), openDb imports them up front, as
// it always did.
import { createRequire } from 'node:module';
import type * as Generated from '../generated/prisma/client.js';
import type * as AdapterPg from '@prisma/adapter-pg';

const require = createRequire(import.meta.url);

let generated: typeof Generated | undefined;
let adapterPg: typeof AdapterPg | undefined;

/** The generated PrismaClient class, loaded on the first call. */
export function prismaClientClass(): typeof Generated.PrismaClient {
  generated ??= require('../generated/prisma/client.js') as typeof Generated;
  return generated.PrismaClient;
}

/** @prisma/adapter-pg's PrismaPg, loaded on the first call. */
export function prismaPgClass(): typeof AdapterPg.PrismaPg {
  adapterPg ??= require('@prisma/adapter-pg') as typeof AdapterPg;
  return adapterPg.PrismaPg;
}

/** Whether this Node can require() an ES module (the generated client is one). */
export function canRequireEsm(): boolean {
  return (process.features as { require_module?: boolean }).require_module === true;
}

/** Loads both with import() now: for a Node that cannot require() an ES module. */
export async function importPrismaModules(): Promise<void> {
  generated ??= await import('../generated/prisma/client.js');
  adapterPg ??= await import('@prisma/adapter-pg');
}
