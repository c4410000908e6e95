// The gateway as it runs in production (runModules with the gateway module), configured
// from the environment the bench driver passes; reports its URL over IPC. Plain JavaScript,
// so with BENCH_DIST=1 it runs on dist/ without tsx in the process: tsx's loader thread
// alone adds about 80 MB of RSS, which production does not have.
import { createLogger, runModules } from '@airlock/common';
import { gatewayModule } from '@airlock/gateway';

const server = await runModules({
  modules: [gatewayModule],
  service: 'gateway',
  env: process.env,
  // BENCH_EXPRESS_ONLY=1: every request through Express (no lean /v1 lane), to compare in one run.
  expressOnly: process.env.BENCH_EXPRESS_ONLY === '1',
  // Access logs on, as in production; the driver discards this process's stdout.
  logger: createLogger({ level: process.env.LOG_LEVEL === 'silent' ? 'silent' : 'info', service: 'gateway' }),
});
process.send?.({ url: server.url });
// The driver asks for the memory breakdown after the runs.
process.on('message', (m) => {
  if (m !== 'memory') return;
  // With BENCH_GATEWAY_NODE_ARGS=--expose-gc, collect first: live objects only.
  const gc = globalThis.gc;
  const before = process.memoryUsage();
  gc?.();
  process.send?.({ memory: process.memoryUsage(), beforeGc: gc ? before : undefined });
});
process.on('SIGTERM', () => {
  void server.shutdown().then(() => process.exit(0));
});
