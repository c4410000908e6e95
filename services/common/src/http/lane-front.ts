// The app-wide middleware as one step for the lean lane (direct-routes.ts): the same
// instances Express runs, minus the cost of walking them one by one. Helmet's header set is
// computed once (it depends on nothing in the request); CORS runs only when the request
// names an Origin (the allowlist refuses a missing one, and a refused origin gets no
// headers at all); a plain JSON body (the SDKs' content-type, a content-length within the
// limit, no content encoding) is read with one Buffer.concat and JSON.parse with body-parser's
// rules (empty body → {}, strict first character, BOM dropped) and its error types, so
// common's error handler answers the same codes. Any other body goes through the very
// body-parser instances Express runs. direct-lane.test.ts compares both paths.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AirlockError } from '../errors.js';
import { deeperThan, MAX_JSON_DEPTH } from './json-depth.js';

/** The app-wide middleware instances, by role, in the order the Express app runs them. */
export interface FrontParts {
  requestId: RequestHandler;
  metrics: RequestHandler;
  security: RequestHandler;
  noStore: RequestHandler;
  cors: RequestHandler;
  accessLog: RequestHandler;
  json: RequestHandler;
  urlencoded: RequestHandler;
  depth: RequestHandler;
  /** The body parsers' limit, as configured (AIRLOCK_BODY_LIMIT: 512kb, 4mb…). */
  bodyLimit: string;
}

/** The parts as Express runs them, one middleware each. */
export function frontList(p: FrontParts): RequestHandler[] {
  return [p.requestId, p.metrics, p.security, p.noStore, p.cors, p.accessLog, p.json, p.urlencoded, p.depth];
}

/** body-parser's reading of a limit (bytes' units: 1kb = 1024 b); undefined: not understood. */
export function limitBytes(limit: string): number | undefined {
  const m = /^(\d+)(b|kb|mb)$/i.exec(limit);
  if (!m) return undefined;
  const unit = m[2]!.toLowerCase();
  return Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

/** Runs a middleware that only sets headers on a recorder, to replay its headers per response. */
function recordHeaders(mw: RequestHandler): { set: [string, string][]; removed: string[] } {
  const set: [string, string][] = [];
  const removed: string[] = [];
  let called = false;
  const recorder = {
    setHeader(name: string, value: string) {
      set.push([name, value]);
      return recorder;
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  void mw({ headers: {} } as Request, recorder as unknown as Response, () => {
    called = true;
  });
  // Helmet answers synchronously and never fails with static options; anything else is a bug here.
  if (!called) throw new Error('security headers middleware did not complete synchronously');
  return { set, removed };
}

const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);
const FIRST_NON_WHITESPACE = /^[ \t\n\r]*([^ \t\n\r]|$)/;
const noop = (): void => undefined;

/** body-parser's error for a body that is not (strict) JSON: common's handler maps the type. */
function parseFailed(message: string): Error {
  return Object.assign(new SyntaxError(message), {
    status: 400,
    statusCode: 400,
    expose: true,
    type: 'entity.parse.failed',
  });
}

/** body-parser's strict JSON parse of a utf-8 body (its iconv decode drops a BOM). */
function parseJson(buf: Buffer): unknown {
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  const c = text[0];
  if (c !== '{' && c !== '[') {
    const first = FIRST_NON_WHITESPACE.exec(text)?.[1];
    if (first !== '{' && first !== '[') throw parseFailed(`Unexpected token in JSON at position 0`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw parseFailed((e as Error).message);
  }
}

/** One request's plain JSON body: collected, then parsed and depth-checked on 'end'. */
function readJsonBody(req: Request, next: NextFunction): void {
  const chunks: Buffer[] = [];
  let done = false;
  const finish = (err?: unknown): void => {
    if (done) return;
    done = true;
    if (err) return next(err);
    try {
      const body = parseJson(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      req.body = body;
      if (body && typeof body === 'object' && deeperThan(body, MAX_JSON_DEPTH)) {
        return next(
          new AirlockError('bad_request', `request body is nested more than ${MAX_JSON_DEPTH} levels deep`),
        );
      }
    } catch (e) {
      return next(e);
    }
    next();
  };
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => finish());
  // What raw-body reports for a client that hung up mid-body (nobody reads the answer).
  const aborted = (): void =>
    finish(Object.assign(new Error('request aborted'), { status: 400, type: 'request.aborted' }));
  req.on('error', aborted);
  req.on('close', () => {
    if (!req.complete) aborted();
  });
}

/** The front as one lane step: same effects, in the same order, as frontList() under Express. */
export function laneFront(p: FrontParts): RequestHandler {
  const security = recordHeaders(p.security);
  const limit = limitBytes(p.bodyLimit);
  const { requestId, metrics, noStore, cors, accessLog, json, urlencoded, depth } = p;

  // The body parsers Express runs, for every body the fast path does not take.
  const parseAny = (req: Request, res: Response, next: NextFunction): void => {
    void json(req, res, (e1?: unknown) => {
      if (e1) return next(e1);
      void urlencoded(req, res, (e2?: unknown) => {
        if (e2) return next(e2);
        void depth(req, res, next);
      });
    });
  };

  const body = (req: Request, res: Response, next: NextFunction): void => {
    const h = req.headers;
    const length = h['content-length'];
    if (length === undefined && h['transfer-encoding'] === undefined) {
      // No body: body-parser leaves req.body undefined and the depth check has nothing to see.
      if (!Reflect.has(req, 'body')) req.body = undefined;
      return next();
    }
    if (
      limit !== undefined &&
      length !== undefined &&
      h['transfer-encoding'] === undefined &&
      h['content-encoding'] === undefined &&
      JSON_TYPES.has(h['content-type'] ?? '') &&
      /^\d{1,10}$/.test(length) &&
      Number(length) <= limit
    ) {
      return readJsonBody(req, next);
    }
    parseAny(req, res, next);
  };

  return (req, res, next) => {
    // These four set headers or listeners and call next() synchronously, never with an error.
    void requestId(req, res, noop);
    void metrics(req, res, noop);
    for (const name of security.removed) res.removeHeader(name);
    for (const [name, value] of security.set) res.setHeader(name, value);
    void noStore(req, res, noop);
    const rest = (): void => {
      void accessLog(req, res, noop);
      body(req, res, next);
    };
    if (req.headers.origin === undefined) return rest();
    void cors(req, res, (err?: unknown) => (err ? next(err) : rest()));
  };
}
