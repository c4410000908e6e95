// @airlock/common: the shared kit. Services import from here, never from deep paths.
export * from './config/load.js';
export * from './config/schema.js';
export * from './crypto/keyring.js';
export * from './crypto/secret-box.js';
export * from './crypto/tokens.js';
export * from './db/client.js';
export * from './db/migrate.js';
export * from './db/scope.js';
export * from './db/tenancy.js';
export * from './errors.js';
export * from './http/create-app.js';
export * from './http/error-handler.js';
export * from './http/health.js';
export * from './http/not-implemented.js';
export * from './lifecycle/main.js';
export * from './lifecycle/module.js';
export * from './lifecycle/run.js';
export * from './lifecycle/runtime.js';
export * from './logger.js';
export * from './metrics.js';
export * from './redis/client.js';
export * from './generated/prisma/enums.js';
export type { Prisma, PrismaClient } from './generated/prisma/client.js';

export * from './access/index.js';
export * from './auth/index.js';
export * from './audit/index.js';
export * from './policy/index.js';
