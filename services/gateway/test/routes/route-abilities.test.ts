// Every route the gateway serves declares what it authorizes (common's authorize()), on its
// Express router and on the lean lane in front of it (directRoutes), so a new route cannot
// skip the rule. The module is built as runModules builds it, but never started: nothing here
// talks to a database, Redis or an upstream.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  baseConfigSchema,
  createAccess,
  createLogger,
  createMetrics,
  openRedis,
  parseConfig,
  parseKeyring,
  type AuditPublisher,
  type Db,
  type ModuleInstance,
  type RedisHandle,
} from '@airlock/common';
import {
  abilityMap,
  publicRoutes,
  routesOf,
  unauthenticatedRoutes,
  undeclaredRoutes,
  type MountedRoute,
} from '@airlock/common/testing';
import { gatewayConfigSchema } from '../../src/config.js';
import { gatewayModule } from '../../src/module.js';
import { MODEL_ROUTES } from '../../src/routes/index.js';

const USE = '→ use Model (org, data)';

/** The pinned map: every model route uses a model; the list reads them; explain is management. */
const ABILITIES = [
  ...MODEL_ROUTES.map((r) => `POST ${r.path} ${USE}`),
  'GET /v1/models → read Model (org, data)',
  'POST /api/v1/access/explain → read EffectivePolicy (org, admin)',
];

describe('the gateway routes and their abilities', () => {
  let redis: RedisHandle;
  let instance: ModuleInstance;
  let routes: MountedRoute[];
  let lane: MountedRoute[];

  beforeAll(async () => {
    const logger = createLogger({ level: 'silent', service: 'gateway-test' });
    const config = parseConfig(baseConfigSchema, { NODE_ENV: 'test' });
    redis = openRedis({ nodeEnv: 'test', commandTimeoutMs: 100 }); // the in-memory stand-in
    // Building the router queries nothing: the database and the audit publisher stay unused.
    const db = {} as Db;
    const clock = () => new Date();
    instance = await gatewayModule.init({
      config,
      logger,
      db,
      redis,
      metrics: createMetrics('gateway'),
      keyring: parseKeyring(randomBytes(32).toString('base64')),
      audit: {} as AuditPublisher,
      access: createAccess({ db, redis, logger, clock, publicUrl: config.AIRLOCK_PUBLIC_URL }),
      clock,
      moduleConfig: gatewayConfigSchema.parse({}),
    });
    routes = routesOf(instance.router);
    lane = (instance.directRoutes ?? []).map((r) => ({
      method: r.method,
      path: r.path,
      handlers: [...r.handlers],
    }));
  });
  afterAll(async () => {
    await instance?.stop?.();
    await redis?.close();
  });

  it('declares an ability on every route, and has no public route', () => {
    expect(routes.length).toBe(ABILITIES.length);
    expect(undeclaredRoutes(routes)).toEqual([]);
    expect(publicRoutes(routes)).toEqual([]);
  });

  it('authenticates before it authorizes, on every declared route', () => {
    expect(unauthenticatedRoutes(routes)).toEqual([]);
  });

  it('pins what each route authorizes', () => {
    expect(abilityMap(routes).sort()).toEqual([...ABILITIES].sort());
  });

  it('declares the same abilities on the lean lane, which serves every /v1 route', () => {
    expect(undeclaredRoutes(lane)).toEqual([]);
    expect(publicRoutes(lane)).toEqual([]);
    const v1 = abilityMap(routes).filter((line) => line.includes(' /v1/'));
    expect(v1.length).toBe(MODEL_ROUTES.length + 1);
    expect(abilityMap(lane).sort()).toEqual(v1.sort());
  });
});
