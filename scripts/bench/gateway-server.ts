// The gateway as it runs in production (runModules with the gateway module), configured
// from the environment the bench driver passes; reports its URL over IPC.
import { createLogger, runModules } from '@airlock/common';
import { gatewayModule } from '@airlock/gateway';

const server = await runModules({
  modules: [gatewayModule],
  service: 'gateway',
  env: process.env,
  // Access logs on, as in production; the driver discards this process's stdout.
  logger: createLogger({ level: process.env.LOG_LEVEL === 'silent' ? 'silent' : 'info', service: 'gateway' }),
});
process.send?.({ url: server.url });
process.on('SIGTERM', () => {
  void server.shutdown().then(() => process.exit(0));
});
