// `npm run migrate`: applies prisma/migrations to DATABASE_URL (what the Helm hook Job runs).
import { main } from '@airlock/common';

await main({ modules: [], service: 'migrate', argv: ['migrate'] });
