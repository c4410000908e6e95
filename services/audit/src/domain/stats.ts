// The usage overview's windows and the shape it answers with. Everything comes from ai.request
// metadata (model, upstream, clientTool, status, token counts), never from content.
import { z } from 'zod';
import { parseQuery } from './filters.js';

export const STATS_WINDOWS = {
  '24h': { ms: 24 * 3_600_000, bucket: 'hour' },
  '7d': { ms: 7 * 86_400_000, bucket: 'day' },
  '30d': { ms: 30 * 86_400_000, bucket: 'day' },
} as const;

export type StatsWindow = keyof typeof STATS_WINDOWS;
export type Bucket = (typeof STATS_WINDOWS)[StatsWindow]['bucket'];

const statsQuerySchema = z.strictObject({
  window: z.enum(Object.keys(STATS_WINDOWS) as [StatsWindow, ...StatsWindow[]]).default('24h'),
});

export function parseStatsQuery(query: unknown): { window: StatsWindow } {
  return parseQuery(statsQuerySchema, query);
}

export interface Counts {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
}

export interface StatsRow extends Counts {
  key: string;
  label: string;
}

export const STATS_DIMENSIONS = ['byPerson', 'byModel', 'byUpstream', 'byClientTool'] as const;
export type StatsDimension = (typeof STATS_DIMENSIONS)[number];

/** At most this many rows per breakdown (the biggest by requests). */
export const STATS_TOP = 20;

export interface UsageStats extends Record<StatsDimension, StatsRow[]> {
  window: StatsWindow;
  from: string;
  to: string;
  scope: 'org' | 'self';
  totals: Counts;
  series: { t: string; requests: number; errors: number }[];
}

/** The window ending at `now`: [from, to]. */
export function windowRange(window: StatsWindow, now: Date): { from: Date; to: Date; bucket: Bucket } {
  const { ms, bucket } = STATS_WINDOWS[window];
  return { from: new Date(now.getTime() - ms), to: now, bucket };
}

function truncate(t: Date, bucket: Bucket): Date {
  const d = new Date(t);
  d.setUTCMinutes(0, 0, 0);
  if (bucket === 'day') d.setUTCHours(0);
  return d;
}

/**
 * Every bucket start from the one holding `from` to the one holding `to` (UTC), so a quiet hour
 * shows as a zero instead of a gap the chart would draw straight across.
 */
export function bucketStarts(from: Date, to: Date, bucket: Bucket): string[] {
  const step = bucket === 'hour' ? 3_600_000 : 86_400_000;
  const out: string[] = [];
  for (let t = truncate(from, bucket).getTime(); t <= to.getTime(); t += step) {
    out.push(new Date(t).toISOString());
  }
  return out;
}
