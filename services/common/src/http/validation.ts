// The one shape of validation_failed.details in every service:
//   { problems: [{ path: "$.limits.perRole[0]", message: "..." }] }
// A JSON path per problem so clients (the console) can point at the field whatever the
// service; built here so no service invents a fourth variant.
import { AirlockError } from '../errors.js';

export interface Problem {
  /** JSON path from the body's (or query's) root: `$`, `$.policy.models`, `$.items[2]`. */
  path: string;
  message: string;
}

/** `['limits', 'perRole', 0]` → `$.limits.perRole[0]`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return ['$', ...path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
    .join('.')
    .replace(/\.\[/g, '[');
}

/**
 * Problems from zod issues. `message: false` names the field only, for inputs whose zod
 * message could quote the value (a password).
 */
export function problemsOf(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  options: { message?: false } = {},
): Problem[] {
  return issues.map((i) => ({
    path: jsonPath(i.path),
    message: options.message === false ? 'is invalid' : i.message,
  }));
}

/** The validation_failed error, details `{ problems }`. */
export function validationFailed(
  problems: Problem[],
  message = 'request is invalid',
  options: { cause?: unknown } = {},
): AirlockError {
  return new AirlockError('validation_failed', message, { cause: options.cause, details: { problems } });
}
