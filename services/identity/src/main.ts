// Standalone identity process: `node dist/main.js` (or `migrate`).
import { main } from '@airlock/common';
import { identityModule } from './module.js';

await main({ modules: [identityModule], service: 'identity' });
