// Standalone audit process: `node dist/main.js` (or `migrate`).
import { main } from '@airlock/common';
import { auditModule } from './module.js';

await main({ modules: [auditModule], service: 'audit' });
