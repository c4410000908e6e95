// Standalone gateway process: `node dist/main.js` (or `migrate`).
import { main } from '@airlock/common';
import { gatewayModule } from './module.js';

await main({ modules: [gatewayModule], service: 'gateway' });
