// V8's allocation-site pretenuring decides, per object literal in the code, whether its
// objects are born in the old space, from how many were still alive at a young-generation
// collection. A server under concurrent load fools it: while the young generation is still
// small, most objects of an in-flight request are alive at every collection, so V8 tenures
// those sites for good (Node's own request, response and socket-write objects, the gateway's
// per-request state) and every later request's short-lived objects fill the old space until
// a full collection. Measured on the gateway (docs/performance.md, fourth pass): of each
// request, 32 KB reached the old space with it and 5.6 KB without, and full collections, CPU
// per request and RSS under load fell with it. A heuristic switch, not a heap size: the heap
// still grows and shrinks as V8 decides. AIRLOCK_V8_PRETENURING=true keeps V8's default.
import { setFlagsFromString } from 'node:v8';
import type { BaseConfig } from '../config/schema.js';

export const NO_PRETENURING_FLAG = '--no-allocation-site-pretenuring';

/** Applies the process-wide V8 settings the config asks for; before traffic, once per process. */
export function applyV8Heuristics(
  config: Pick<BaseConfig, 'AIRLOCK_V8_PRETENURING'>,
  setFlags: (flags: string) => void = setFlagsFromString,
): void {
  if (!config.AIRLOCK_V8_PRETENURING) setFlags(NO_PRETENURING_FLAG);
}
