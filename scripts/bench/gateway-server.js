// The gateway as it runs in production (runModules with the gateway module), configured
// from the environment the bench driver passes; reports its URL over IPC. Plain JavaScript,
// so with BENCH_DIST=1 it runs on dist/ without tsx in the process: tsx's loader thread
// alone adds about 80 MB of RSS, which production does not have.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
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
// BENCH_ALLOC_PROFILE=dir: a sampling profile of the allocations from here to the end.
// BENCH_ALLOC_KIND: 'all' (default; what drives the collections), 'old' (only what no
// scavenge freed: promoted or allocated in the old space, what grows it between full
// collections) or 'live' (only what no collection freed by the end).
const allocationKind = process.env.BENCH_ALLOC_KIND ?? 'all';
const allocations = process.env.BENCH_ALLOC_PROFILE ? new Session() : undefined;
if (allocations) {
  allocations.connect();
  await allocations.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: allocationKind !== 'live',
    includeObjectsCollectedByMinorGC: allocationKind === 'all',
  });
}
process.on('SIGTERM', () => {
  const written = allocations?.post('HeapProfiler.stopSampling').then(({ profile }) => {
    const lane = process.env.BENCH_EXPRESS_ONLY === '1' ? '-express' : '';
    const name = `gateway-${process.pid}${lane}-${allocationKind}.heapprofile`;
    writeFileSync(path.join(process.env.BENCH_ALLOC_PROFILE, name), JSON.stringify(profile));
  });
  void Promise.resolve(written)
    .catch((e) => process.stderr.write(`allocation profile not written: ${e.message}\n`))
    .then(() => server.shutdown())
    .then(() => process.exit(0));
});
