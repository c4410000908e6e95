// Prisma CLI configuration. engine "js" runs the WASM schema engine through a driver adapter,
// so no native engine is downloaded (shared/recipes/prisma-offline.md). The app applies
// migrations itself (services/common/src/db/migrate.ts); the CLI is for generate and diff.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { createPgMigrationAdapter } from './services/common/src/db/pg-adapter.ts';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  async adapter() {
    const url = process.env.DATABASE_URL;
    if (url) return createPgMigrationAdapter(url);
    // No server: a throwaway in-memory PGlite, enough for `migrate diff` from schema files.
    return new PrismaPGlite(new PGlite());
  },
});
