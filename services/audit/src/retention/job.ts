// The retention job: for every chain, deletes events older than the org's
// policy.audit.retentionDays (platform events and orgs without a policy: the default, 90),
// in batches of whole prefixes. Runs on a timer in every audit replica; the chain lock makes
// concurrent runs safe (the second finds nothing left to do).
import type { Db, Logger, VersionedPolicy } from '@airlock/common';
import { pruneChainBatch, listChains } from '../store/retention.js';

export const DEFAULT_RETENTION_DAYS = 90;
const DAY_MS = 86_400_000;

export interface RetentionJob {
  /** One pass over every chain; returns rows deleted per chain key. */
  runOnce(): Promise<Map<string, number>>;
  start(): void;
  stop(): Promise<void>;
}

export interface RetentionOptions {
  db: Db;
  policies: { get(orgId: string): Promise<VersionedPolicy> };
  logger: Logger;
  clock: () => Date;
  batchSize?: number;
  intervalMs?: number;
  /** First run after start-up: not at once, so a restart loop does not hammer the database. */
  initialDelayMs?: number;
}

export function createRetentionJob(options: RetentionOptions): RetentionJob {
  const { db, policies, logger, clock } = options;
  const batchSize = options.batchSize ?? 5_000;
  const intervalMs = options.intervalMs ?? 3_600_000;
  const initialDelayMs = options.initialDelayMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  async function retentionDays(orgId: string | null): Promise<number> {
    if (orgId === null) return DEFAULT_RETENTION_DAYS;
    return (await policies.get(orgId)).policy.audit.retentionDays;
  }

  async function runOnce(): Promise<Map<string, number>> {
    const report = new Map<string, number>();
    for (const orgId of await listChains(db)) {
      if (stopped) break;
      let total = 0;
      try {
        const cutoff = new Date(clock().getTime() - (await retentionDays(orgId)) * DAY_MS);
        for (;;) {
          const deleted = await pruneChainBatch(db, orgId, cutoff, batchSize);
          total += deleted;
          if (deleted < batchSize || stopped) break;
        }
      } catch (e) {
        // One org's problem (an unreadable policy) must not hold up every other org's retention.
        logger.error({ orgId, err: (e as Error).message }, 'audit retention failed for one org');
        continue;
      }
      if (total > 0) {
        report.set(orgId ?? 'platform', total);
        logger.info({ orgId, deleted: total }, 'audit retention: old events deleted');
      }
    }
    return report;
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce()
        .catch((e: unknown) => logger.error({ err: (e as Error).message }, 'audit retention run failed'))
        .finally(() => schedule(intervalMs));
    }, delay);
    timer.unref();
  }

  return {
    runOnce,
    start() {
      stopped = false;
      schedule(initialDelayMs);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
