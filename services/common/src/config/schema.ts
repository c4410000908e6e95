// The settings every Airlock process reads. Keys are the environment variable names, so a
// validation error names exactly what to fix. Services add their own slices (module.config).
import { z } from 'zod';
import { envBoolean, envInt, envList } from './env.js';

const port = envInt(0, 65535);

const seconds = z.coerce.number().min(0).max(3600);

export const baseConfigSchema = z
  .object({
    NODE_ENV: z
      .enum(['development', 'test', 'production'])
      .default('development')
      .describe('production refuses the embedded stand-ins (PGlite, in-memory Redis, generated key)'),
    PORT: port.default(8080).describe('public HTTP port'),
    HOST: z.string().min(1).default('0.0.0.0').describe('address to listen on'),
    AIRLOCK_INTERNAL_PORT: port
      .optional()
      .describe(
        'serves /metrics (and /healthz, /readyz) apart from public traffic; unset: /metrics on PORT, to direct loopback callers only',
      ),
    AIRLOCK_PUBLIC_URL: z
      .url({ message: 'must be an absolute URL' })
      .default('http://localhost:8080')
      .describe('the URL users reach Airlock at (SSO callbacks, links); unset: http://localhost:PORT'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional()
      .describe('Postgres; unset: embedded PGlite in AIRLOCK_DATA_DIR (not in production)'),
    AIRLOCK_DATA_DIR: z
      .string()
      .min(1)
      .default('.data')
      .describe('embedded PGlite and the generated development key live here'),
    AIRLOCK_DB_POOL_SIZE: envInt(1, 200).default(10).describe('Postgres connections per process'),
    AIRLOCK_DB_WAIT_SECONDS: seconds
      .default(60)
      .describe('how long `migrate` waits for Postgres to accept connections'),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional()
      .describe('Redis (rediss:// for TLS); unset: in-memory stand-in (not in production)'),
    AIRLOCK_REDIS_COMMAND_TIMEOUT_MS: envInt(10, 60000)
      .default(1000)
      .describe('bound on every Redis command, so an outage fails fast'),
    AIRLOCK_ENCRYPTION_KEY: z
      .string()
      .min(1)
      .optional()
      .describe('base64 of 32 bytes, or "id:base64,id:base64" with the current key first (rotation)'),
    AIRLOCK_CORS_ORIGINS: envList()
      .default([])
      .describe('comma-separated origins allowed to call the API from a browser'),
    AIRLOCK_TRUSTED_PROXIES: envList()
      .default([])
      .describe('comma-separated addresses/CIDRs whose X-Forwarded-For is believed'),
    AIRLOCK_BODY_LIMIT: z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'must look like 512kb or 4mb')
      .default('4mb')
      .describe('largest request body accepted (413 above)'),
    AIRLOCK_SHUTDOWN_DELAY_SECONDS: seconds
      .optional()
      .describe('on SIGTERM, report not-ready this long before closing (default 5 in production, else 0)'),
    AIRLOCK_SHUTDOWN_TIMEOUT_SECONDS: seconds
      .default(25)
      .describe('on SIGTERM, in-flight requests get this long to finish'),
    AIRLOCK_AIRGAPPED: envBoolean()
      .default(false)
      .describe('refuse every outbound connection not explicitly allowed'),
    AIRLOCK_V8_PRETENURING: envBoolean()
      .default(false)
      .describe(
        "keep V8's allocation-site pretenuring on (off by default: under concurrent load it sends short-lived request objects straight to the old space; docs/performance.md)",
      ),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('pino log level'),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV !== 'production') return;
    // Production never falls back to the embedded stand-ins: they are not durable or shared.
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'AIRLOCK_ENCRYPTION_KEY'] as const) {
      if (!c[key])
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required when NODE_ENV=production' });
    }
  });

export type BaseConfig = z.output<typeof baseConfigSchema>;
