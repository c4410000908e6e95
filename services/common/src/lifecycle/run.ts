// Runs a set of modules in one process: one config check, one runtime, one HTTP server.
// A service's own main runs one module; the all-in-one target runs all four. The code path
// is the same, so both deployments behave the same (grafana/mimir's -target).
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { parseConfig } from '../config/load.js';
import { createHttpHandler, createInternalApp } from '../http/create-app.js';
import type { Readiness } from '../http/health.js';
import type { Logger } from '../logger.js';
import type { AirlockModule, ModuleDeps, ModuleInstance } from './module.js';
import { loadBaseConfig, openRuntime, type Runtime } from './runtime.js';

type Env = Record<string, string | undefined>;

export interface RunOptions {
  modules: readonly AirlockModule<unknown>[];
  env: Env;
  /** Name in logs and metrics: the target (identity, gateway…, or all). */
  service: string;
  /** Create demo data and print one-time credentials (all-in-one outside production). */
  seedDemo?: boolean;
  logger?: Logger;
  /** Where operator notes (one-time credentials) go; never the logger. */
  announce?: (lines: string[]) => void;
  /**
   * Serve every request through Express, modules' direct routes included (no lean lane).
   * For the test that proves both paths answer alike; production leaves it unset.
   */
  expressOnly?: boolean;
}

export interface RunningServer {
  app: Express;
  runtime: Runtime;
  url: string;
  internalUrl?: string;
  readiness: Readiness;
  shutdown(reason?: string): Promise<void>;
}

function listen(
  listener: RequestListener,
  port: number,
  host: string,
  serverOptions: ServerOptions = {},
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(serverOptions, listener).listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

function urlOf(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  return `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
}

/** Stops accepting, lets in-flight requests finish, and cuts whatever is left at the deadline. */
function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Each module's own config slice from the environment, checked only for the modules given. */
export function parseModuleConfigs(modules: readonly AirlockModule<unknown>[], env: Env): unknown[] {
  return modules.map((m) =>
    m.configSchema ? parseConfig(m.configSchema, env, `${m.name} config`) : undefined,
  );
}

/** /readyz before the modules are up: the database and Redis, to which modules add theirs. */
export function startingReadiness(deps: Pick<ModuleDeps, 'db' | 'redis'>): Readiness {
  return {
    phase: 'starting',
    checks: [
      { name: 'database', check: () => deps.db.ping() },
      { name: 'redis', check: () => deps.redis.ping() },
    ],
  };
}

/** Builds the modules in order from one set of deps (the test kit's buildModuleApp too). */
export async function initModules(
  modules: readonly AirlockModule<unknown>[],
  deps: ModuleDeps,
  moduleConfigs: readonly unknown[],
): Promise<ModuleInstance[]> {
  const instances: ModuleInstance[] = [];
  for (const [i, module] of modules.entries()) {
    instances.push(await module.init({ ...deps, moduleConfig: moduleConfigs[i] }));
  }
  return instances;
}

/** The public app of a set of modules, configured from the process's base config. */
export function createModulesHandler(
  instances: readonly ModuleInstance[],
  deps: Pick<ModuleDeps, 'config' | 'logger' | 'metrics'>,
  readiness: Readiness,
  options: { serveMetrics: boolean; expressOnly?: boolean },
): ReturnType<typeof createHttpHandler> {
  const { config } = deps;
  return createHttpHandler({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness,
    routers: instances.map((i) => i.router),
    corsOrigins: config.AIRLOCK_CORS_ORIGINS,
    trustedProxies: config.AIRLOCK_TRUSTED_PROXIES,
    bodyLimit: config.AIRLOCK_BODY_LIMIT,
    serveMetrics: options.serveMetrics,
    accessLogSampling: instances.flatMap((i) => i.accessLogSampling ?? []),
    directRoutes: options.expressOnly ? [] : instances.flatMap((i) => i.directRoutes ?? []),
  });
}

export async function runModules(options: RunOptions): Promise<RunningServer> {
  const config = loadBaseConfig(options.env);
  // Each module's own settings are checked before anything opens, and only for modules
  // this process runs.
  const moduleConfigs = parseModuleConfigs(options.modules, options.env);
  const runtime = await openRuntime(config, options.service, options.logger, {
    prisma: options.modules.every((m) => m.prisma === 'on-demand') ? 'on-first-use' : 'at-open',
  });
  const { logger } = runtime;
  const instances: ModuleInstance[] = [];
  const started: ModuleInstance[] = [];
  const servers: Server[] = [];
  const readiness = startingReadiness(runtime);

  let stopping: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown'): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'shutting down');
      readiness.phase = 'draining';
      const delaySeconds =
        config.AIRLOCK_SHUTDOWN_DELAY_SECONDS ?? (config.NODE_ENV === 'production' ? 5 : 0);
      if (delaySeconds > 0) await new Promise((r) => setTimeout(r, delaySeconds * 1000));
      await Promise.all(servers.map((s) => closeServer(s, config.AIRLOCK_SHUTDOWN_TIMEOUT_SECONDS * 1000)));
      for (const instance of [...started].reverse()) {
        await instance.stop?.().catch((e: unknown) => logger.error({ err: e }, 'module stop failed'));
      }
      await runtime.close();
      logger.info('stopped');
    })();
    return stopping;
  };

  try {
    instances.push(...(await initModules(options.modules, runtime, moduleConfigs)));
    for (const instance of instances) readiness.checks.push(...(instance.readiness ?? []));
    if (options.seedDemo && config.NODE_ENV !== 'production') {
      const lines: string[] = [];
      for (const instance of instances) lines.push(...((await instance.seedDemo?.()) ?? []));
      if (lines.length > 0) options.announce?.(lines);
    }

    const internal = config.AIRLOCK_INTERNAL_PORT !== undefined;
    const { app, listener, serverOptions } = createModulesHandler(instances, runtime, readiness, {
      serveMetrics: !internal,
      expressOnly: options.expressOnly,
    });
    servers.push(await listen(listener, config.PORT, config.HOST, serverOptions));
    let internalUrl: string | undefined;
    if (internal) {
      const internalApp = createInternalApp({ logger, metrics: runtime.metrics, readiness });
      const server = await listen(internalApp, config.AIRLOCK_INTERNAL_PORT!, config.HOST);
      servers.push(server);
      internalUrl = urlOf(server, config.HOST);
    }
    await runtime.access.start();
    for (const instance of instances) {
      await instance.start?.();
      started.push(instance);
    }
    readiness.phase = 'serving';
    const url = urlOf(servers[0]!, config.HOST);
    logger.info(
      {
        url,
        internalUrl,
        modules: options.modules.map((m) => m.name),
        database: runtime.db.kind,
        redis: runtime.redis.kind,
      },
      'listening',
    );
    return { app, runtime, url, internalUrl, readiness, shutdown };
  } catch (e) {
    await shutdown('start-up failed').catch(() => undefined);
    throw e;
  }
}

/** SIGTERM/SIGINT: drain and exit 0; a second signal exits at once. */
export function exitOnSignals(server: RunningServer): void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) process.exit(1);
    received = true;
    server.shutdown(signal).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
