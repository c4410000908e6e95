// The identity service's errors. Codes come from common's ERROR_CODES (stable API); these
// helpers keep the client-facing messages in one place and identical across routes.
import { AirlockError, problemsOf, validationFailed } from '@airlock/common';

export const identityErrors = {
  /** Same message whether the credential is unknown, revoked or expired. */
  unauthenticated: () =>
    new AirlockError('unauthenticated', 'missing, invalid, expired or revoked credentials'),
  forbidden: (what: string) => new AirlockError('forbidden', `you may not ${what}`),
  tokenNotFound: () => new AirlockError('not_found', 'no such API token'),
  connectionNotFound: () => new AirlockError('not_found', 'no such SSO connection'),
  orgNotFound: () => new AirlockError('not_found', 'no such organisation'),
  /** `message: false` names the fields only (inputs whose zod message could quote a password). */
  invalid: (
    issues: readonly { path: readonly PropertyKey[]; message: string }[],
    options: { message?: false } = {},
  ) => validationFailed(problemsOf(issues, options), 'request body is invalid'),
};
