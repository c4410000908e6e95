// A module (or several, as all-in-one runs them) as an app, built by the code production
// runs (run.ts's initModules and createModulesHandler) from deps the test made: no copy of
// the wiring to drift from the real one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Readiness } from '../src/http/health.js';
import type { AirlockModule, ModuleDeps, ModuleInstance, ModuleName } from '../src/lifecycle/module.js';
import {
  createModulesHandler,
  initModules,
  parseModuleConfigs,
  startingReadiness,
} from '../src/lifecycle/run.js';

export interface ModuleAppOptions {
  /**
   * A module's config slice as an object (its `xConfig({...})` builder); a module not named
   * here reads its slice from `env` with its own schema, as in production.
   */
  moduleConfig?: Partial<Record<ModuleName, unknown>>;
  /** Default: testDeps' env (NODE_ENV=test). */
  env?: Record<string, string | undefined>;
  /** Also serve on 127.0.0.1 at this port (0: any free one), lean lane included. */
  listen?: { port: number };
}

export interface ModuleApp {
  app: Express;
  instances: ModuleInstance[];
  readiness: Readiness;
  /** Set with `listen`. */
  url?: string;
  /** Stops the modules in reverse order and the server; the deps stay open. */
  close(): Promise<void>;
}

/** One app per deps, as one process serves one app (its metrics registry is the process's). */
export async function buildModuleApp(
  modules: AirlockModule<unknown> | readonly AirlockModule<unknown>[],
  deps: ModuleDeps & { env?: Record<string, string | undefined> },
  options: ModuleAppOptions = {},
): Promise<ModuleApp> {
  const list: readonly AirlockModule<unknown>[] = Array.isArray(modules) ? modules : [modules];
  const env = options.env ?? deps.env ?? { NODE_ENV: 'test' };
  const parsed = parseModuleConfigs(
    list.filter((m) => !(m.name in (options.moduleConfig ?? {}))),
    env,
  );
  const configs = list.map((m) =>
    options.moduleConfig && m.name in options.moduleConfig ? options.moduleConfig[m.name] : parsed.shift(),
  );
  const instances = await initModules(list, deps, configs);
  const readiness = startingReadiness(deps);
  for (const instance of instances) readiness.checks.push(...(instance.readiness ?? []));
  const { app, listener, serverOptions } = createModulesHandler(instances, deps, readiness, {
    serveMetrics: deps.config.AIRLOCK_INTERNAL_PORT === undefined,
  });
  let server: Server | undefined;
  let url: string | undefined;
  if (options.listen) {
    const port = options.listen.port;
    server = await new Promise<Server>((resolve, reject) => {
      const s = createServer(serverOptions, listener).listen(port, '127.0.0.1');
      s.once('listening', () => resolve(s));
      s.once('error', reject);
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  await deps.access.start();
  const started: ModuleInstance[] = [];
  const close = async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server!.close(r));
    }
    for (const instance of started.reverse()) await instance.stop?.();
  };
  try {
    for (const instance of instances) {
      await instance.start?.();
      started.push(instance);
    }
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
  readiness.phase = 'serving';
  return { app, instances, readiness, url, close };
}
