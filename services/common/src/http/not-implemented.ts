import { Router } from 'express';
import { AirlockError } from '../errors.js';

/** Answers every request under the given prefixes with 501, for a module not built yet. */
export function notImplementedRouter(module: string, prefixes: readonly string[]): Router {
  const router = Router();
  for (const prefix of prefixes) {
    router.use(prefix, (req, _res, next) => {
      next(
        new AirlockError(
          'not_implemented',
          `${module}: ${req.method} ${req.originalUrl.split('?')[0]} is not implemented yet`,
        ),
      );
    });
  }
  return router;
}
