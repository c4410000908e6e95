import { IncomingMessage, ServerResponse, type RequestListener, type ServerOptions } from 'node:http';
import express, { type Express, type Router } from 'express';
import { directLane, type DirectRoute } from './direct-routes.js';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { httpMetrics } from '../metrics.js';
import { errorHandler, notFound } from './error-handler.js';
import { healthRoutes, metricsRoute, type Readiness } from './health.js';
import { requestId } from './request-context.js';
import { corsAllowlist, securityHeaders } from './security.js';
import { jsonDepthLimit } from './json-depth.js';
import { frontList, laneFront, type FrontParts } from './lane-front.js';

export interface AppOptions {
  logger: Logger;
  metrics: Registry;
  readiness: Readiness;
  /** Module routers; each mounts its own full prefixes (/api/v1/…), as behind the Ingress. */
  routers: Router[];
  corsOrigins: readonly string[];
  trustedProxies: readonly string[];
  bodyLimit: string;
  /** False when /metrics is served on the internal port instead; true: loopback callers only. */
  serveMetrics: boolean;
  /** Prefixes whose successful requests are logged one in `every` (modules declare them). */
  accessLogSampling?: readonly AccessLogSampling[];
  /** Module routes also served on the lean lane in front of Express (see direct-routes.ts). */
  directRoutes?: readonly DirectRoute[];
}

/**
 * High-volume routes whose every request is already recorded elsewhere (the gateway audits
 * each model call) may log successes one in `every`: a line is built and written
 * synchronously, about 5 µs of CPU, against 160–250 µs for a whole model call through the
 * gateway (docs/performance.md). Errors (status >= 400) are always logged.
 */
export interface AccessLogSampling {
  prefix: string;
  every: number;
}

/** The app-wide middleware: built once, run by the Express app and the lean lane alike. */
function frontMiddleware(options: AppOptions): FrontParts {
  return {
    requestId,
    metrics: httpMetrics(options.metrics),
    security: securityHeaders(),
    noStore: (_req, res, next) => {
      // Responses carry tenant data and credentials: no shared cache may keep them.
      res.setHeader('Cache-Control', 'no-store');
      next();
    },
    cors: corsAllowlist(options.corsOrigins),
    accessLog: accessLog(options.logger, options.accessLogSampling ?? []),
    json: express.json({ limit: options.bodyLimit, strict: true }),
    urlencoded: express.urlencoded({ extended: false, limit: options.bodyLimit }),
    depth: jsonDepthLimit,
    bodyLimit: options.bodyLimit,
  };
}

/** The HTTP app every service (and all-in-one) runs: same middleware, same error shape. */
export function createApp(options: AppOptions): Express {
  return createHttpHandler(options).app;
}

/**
 * The app and the request listener to serve it with: the modules' direct routes on the lean
 * lane, everything else through Express. Both run the same middleware instances.
 */
export function createHttpHandler(options: AppOptions): {
  app: Express;
  listener: RequestListener;
  /** For node:http's createServer: requests and responses born with the app's prototypes. */
  serverOptions: ServerOptions;
} {
  const app = express();
  app.disable('x-powered-by');
  // Client IPs (audit, throttling) come from X-Forwarded-For only when the hop is a proxy
  // we were told to trust; otherwise the socket address.
  app.set('trust proxy', options.trustedProxies.length > 0 ? [...options.trustedProxies] : false);
  app.set('etag', false);
  app.set('query parser', 'simple');

  const front = frontMiddleware(options);
  app.use(...frontList(front));

  app.use(healthRoutes(options.readiness));
  if (options.serveMetrics) app.use(metricsRoute(options.metrics, { loopbackOnly: true }));
  for (const router of options.routers) app.use(router);

  const errors = errorHandler(options.logger);
  app.use(notFound);
  app.use(errors);
  const routes = options.directRoutes ?? [];
  const serverOptions = appServerClasses(app);
  if (routes.length === 0) return { app, listener: app, serverOptions };
  const lane = directLane({ app, front: [laneFront(front)], routes, notFound, errorHandler: errors });
  return {
    app,
    listener: (req, res) => {
      if (!lane(req, res)) app(req, res);
    },
    serverOptions,
  };
}

/**
 * Request and response classes whose instances have Express's app.request / app.response
 * as their prototype from birth. Express (and the lane) set that prototype on every request;
 * an object that already has it is left alone, so no request changes shape on its way in.
 * node:http constructs these with `new`; the constructors are Node's own.
 */
function appServerClasses(app: Express): ServerOptions {
  function AppRequest(this: IncomingMessage, ...args: unknown[]): void {
    (IncomingMessage as unknown as (...a: unknown[]) => void).apply(this, args);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: ServerResponse, ...args: unknown[]): void {
    (ServerResponse as unknown as (...a: unknown[]) => void).apply(this, args);
  }
  AppResponse.prototype = app.response;
  return {
    IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
    ServerResponse: AppResponse as unknown as typeof ServerResponse,
  };
}

/** The internal port's app: probes and metrics only. */
export function createInternalApp(options: Pick<AppOptions, 'logger' | 'metrics' | 'readiness'>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestId);
  app.use(healthRoutes(options.readiness));
  app.use(metricsRoute(options.metrics));
  app.use(notFound);
  app.use(errorHandler(options.logger));
  return app;
}

/** One line per request: method, path without query string (it may hold codes), status, time. */
function accessLog(logger: Logger, sampling: readonly AccessLogSampling[]): express.RequestHandler {
  const successes = new Map<AccessLogSampling, number>(sampling.map((s) => [s, 0]));
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const path = req.path;
      if (path === '/healthz' || path === '/readyz' || path === '/metrics') return;
      let sampled: number | undefined;
      const rule = res.statusCode < 400 ? sampling.find((s) => path.startsWith(s.prefix)) : undefined;
      if (rule) {
        const seen = successes.get(rule)!;
        successes.set(rule, seen + 1);
        if (seen % rule.every !== 0) return;
        sampled = rule.every;
      }
      logger.info(
        {
          requestId: req.id,
          method: req.method,
          path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - start) / 1e6,
          ...(sampled ? { sampled } : {}),
        },
        'request',
      );
    });
    next();
  };
}
