import type { z } from 'zod';

/** A bad or missing setting. The message is one line naming the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Validates env against a schema. Empty strings count as unset, so `FOO=` in a values file
 * means "default", as operators expect.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Env, section = 'config'): z.output<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  // Unset, the public URL follows the port (a trial on PORT=9000 links to localhost:9000, not to
  // the schema's 8080 default): the only default that depends on another setting.
  if (cleaned.AIRLOCK_PUBLIC_URL === undefined && cleaned.PORT !== undefined && /^\d+$/.test(cleaned.PORT))
    cleaned.AIRLOCK_PUBLIC_URL = `http://localhost:${cleaned.PORT}`;
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new ConfigError(`invalid ${section}: ${problems.join('; ')}`);
}
