// A lean lane in front of Express for a module's hottest routes (the gateway's /v1 model
// calls): an exact method + path lookup instead of Express's router (a regular-expression
// match per layer, per request), then the very same middleware functions the Express app
// runs (request id, metrics, security headers, no-store, CORS, access log, body parsers,
// depth limit), the module's own handlers and error handlers, and the app's error handler.
// Same code, so the same headers, body limit, error envelope and log lines; only the
// dispatch differs. A test sends the same requests both ways and compares the answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';

/** A route a module serves on the lean lane as well as on its Express router. */
export interface DirectRoute {
  method: 'GET' | 'POST';
  /** Exact path (no parameters); other spellings (trailing slash, case) still go to Express. */
  path: string;
  /** What the module's router runs for this route, in order (its path-wide middleware first). */
  handlers: readonly RequestHandler[];
  /** The module router's error middleware, run before the app's own error handler. */
  errorHandlers: readonly ErrorRequestHandler[];
}

export interface LaneOptions {
  app: Express;
  /** The app-wide middleware, in the order the Express app runs it. */
  front: readonly RequestHandler[];
  routes: readonly DirectRoute[];
  /** Runs when a route's handlers all called next() without answering (the app's 404). */
  notFound: RequestHandler;
  /** The app's final error handler. */
  errorHandler: ErrorRequestHandler;
}

/**
 * Returns a request listener that serves the direct routes and answers false for anything
 * else (the caller hands those to Express).
 */
export function directLane(options: LaneOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const byKey = new Map<string, DirectRoute>();
  for (const r of options.routes) byKey.set(`${r.method} ${r.path}`, r);
  const { app, front, notFound, errorHandler } = options;

  return (rawReq, rawRes) => {
    const url = rawReq.url ?? '/';
    const q = url.indexOf('?');
    const route = byKey.get(`${rawReq.method} ${q === -1 ? url : url.slice(0, q)}`);
    if (!route) return false;
    // What Express's app.handle() and router do before the first middleware runs.
    const req = rawReq as Request;
    const res = rawRes as Response;
    req.res = res;
    res.req = req;
    // Born with them when the server uses createHttpHandler's classes (run.ts does).
    if (Object.getPrototypeOf(req) !== app.request) Object.setPrototypeOf(req, app.request);
    if (Object.getPrototypeOf(res) !== app.response) Object.setPrototypeOf(res, app.response);
    res.locals = Object.create(null) as Response['locals'];
    req.originalUrl = url;
    req.baseUrl = '';
    req.params = {};
    new Dispatch(req, res, front, route, notFound, errorHandler).next();
    return true;
  };
}

/** One request's walk through the middleware, as Express's router would walk it. */
class Dispatch {
  private i = 0;
  /** Errors from the app-wide middleware skip the module router (and its error handlers), as in Express. */
  private inRoute = false;
  private errorIndex = 0;
  readonly next: NextFunction;

  constructor(
    private readonly req: Request,
    private readonly res: Response,
    private readonly front: readonly RequestHandler[],
    private readonly route: DirectRoute,
    private readonly notFound: RequestHandler,
    private readonly errorHandler: ErrorRequestHandler,
  ) {
    this.next = (err?: unknown) => {
      if (err !== undefined && err !== null && err !== 'route' && err !== 'router') this.fail(err);
      else this.step();
    };
  }

  private step(): void {
    const { front, route } = this;
    const i = this.i++;
    const j = i - front.length;
    let fn: RequestHandler;
    if (i < front.length) fn = front[i]!;
    else if (j < route.handlers.length) {
      if (!this.inRoute) {
        this.inRoute = true;
        // Express's Route sets this; the HTTP metrics label requests with it.
        (this.req as { route?: unknown }).route = { path: route.path, stack: [], methods: {} };
      }
      fn = route.handlers[j]!;
    } else if (j === route.handlers.length) {
      this.inRoute = false; // Express's 404 comes after the module router
      fn = this.notFound;
    } else return;
    // Called here rather than through invoke(): no closure per step on the hot path.
    try {
      this.settle(fn(this.req, this.res, this.next), this.next);
    } catch (e) {
      this.next(e);
    }
  }

  private fail(err: unknown): void {
    const handlers = this.inRoute ? this.route.errorHandlers : [];
    const k = this.errorIndex++;
    const handler =
      k < handlers.length ? handlers[k]! : k === handlers.length ? this.errorHandler : undefined;
    if (!handler) return this.final(err);
    const next: NextFunction = (e?: unknown) => (e === undefined ? this.final(undefined) : this.fail(e));
    this.invoke(() => handler(err, this.req, this.res, next), next);
  }

  /** Express's final handler: an error nobody answered cuts the connection if headers are out. */
  private final(err: unknown): void {
    if (this.res.headersSent) {
      if (err !== undefined) this.req.socket.destroy();
      return;
    }
    this.res.statusCode = err === undefined ? 404 : 500;
    this.res.end();
  }

  /** Runs a handler as Express 5 does: a throw or a rejected promise becomes next(err). */
  private invoke(call: () => unknown, next: NextFunction): void {
    try {
      this.settle(call(), next);
    } catch (e) {
      next(e);
    }
  }

  /** A handler's returned promise, if any: its rejection becomes next(err), as in Express 5. */
  private settle(ret: unknown, next: NextFunction): void {
    if (ret && typeof (ret as Promise<unknown>).then === 'function')
      (ret as Promise<unknown>).then(undefined, (e: unknown) => next(e ?? new Error('rejected')));
  }
}
