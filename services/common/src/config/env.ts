// How an environment variable's text becomes a typed setting, once for every service's config
// slice, so `AIRLOCK_X=yes` or `a, b` means the same thing whichever service reads it.
import { z } from 'zod';

/** true/false, 1/0 or yes/no; anything else is refused, never read as false. */
export const envBoolean = () =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A comma-separated list; entries are trimmed, empty ones dropped (`a, b,` is ["a", "b"]). */
export const envList = (options: { lowerCase?: boolean } = {}) =>
  z.string().transform((v) =>
    v
      .split(',')
      .map((s) => (options.lowerCase ? s.trim().toLowerCase() : s.trim()))
      .filter(Boolean),
  );

/**
 * A whole number within [min, max]: counts, sizes and durations (the unit is in the variable's
 * name: _MS, _SECONDS, _MINUTES, _HOURS, _DAYS). A value out of range stops start-up rather than
 * being clamped.
 */
export const envInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
