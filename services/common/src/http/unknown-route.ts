import { Router } from 'express';
import { AirlockError } from '../errors.js';

/**
 * Answers a request under the given prefixes that no route of the module matched: 404
 * not_found, its message naming the module, so a client (and the targets test) can tell
 * "this module runs here, the route does not exist" from "no module runs this prefix".
 */
export function unknownRouteRouter(module: string, prefixes: readonly string[]): Router {
  const router = Router();
  for (const prefix of prefixes) {
    router.use(prefix, (req, _res, next) => {
      next(
        new AirlockError(
          'not_found',
          `${module}: no route for ${req.method} ${req.originalUrl.split('?')[0]}`,
        ),
      );
    });
  }
  return router;
}
