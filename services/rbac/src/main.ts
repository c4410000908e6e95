// Standalone rbac process: `node dist/main.js` (or `migrate`).
import { main } from '@airlock/common';
import { rbacModule } from './module.js';

await main({ modules: [rbacModule], service: 'rbac' });
