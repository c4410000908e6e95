// The gateway as it runs in production (runModules with the gateway module), configured
// from the environment the bench driver passes; reports its URL over IPC. Plain JavaScript,
// so with BENCH_DIST=1 it runs on dist/ without tsx in the process: tsx's loader thread
// alone adds about 80 MB of RSS, which production does not have.
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
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
// Collections since start, by kind: under load, RSS is the heap V8 sizes between major
// collections (mark-compacts), so their count says how fast garbage reaches the old space.
const gcs = { minor: 0, major: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = e.detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcs.major++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcs.minor++;
    gcs.ms += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

// The driver asks for the memory breakdown at idle and after the runs; { snapshot: file }
// writes a heap snapshot there (BENCH_HEAP_SNAPSHOT).
process.on('message', (m) => {
  if (typeof m === 'object' && m?.snapshot) {
    process.send?.({ snapshot: writeHeapSnapshot(m.snapshot) });
    return;
  }
  if (m !== 'memory') return;
  // With BENCH_GATEWAY_NODE_ARGS=--expose-gc, collect first: live objects only.
  const gc = globalThis.gc;
  const before = process.memoryUsage();
  gc?.();
  const memory = process.memoryUsage();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, x.space_size]));
  process.send?.({ memory, beforeGc: gc ? before : undefined, spaces, gcs: { ...gcs } });
});
process.on('SIGTERM', () => {
  void server.shutdown().then(() => process.exit(0));
});
