// Request bodies and parameters, checked with zod; every problem is listed by JSON path.
import { problemsOf } from '@airlock/common';
import type { z } from 'zod';
import { rbacErrors } from '../errors.js';

export { isUuid } from '@airlock/common';

export { jsonPath } from '@airlock/common';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw rbacErrors.invalid(problemsOf(result.error.issues), 'request body is invalid');
}
