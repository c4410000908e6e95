// The identity service's errors. Codes come from common's ERROR_CODES (stable API); these
// helpers keep the client-facing messages in one place and identical across routes.
import { AirlockError } from '@airlock/common';

export const identityErrors = {
  /** Same message whether the credential is unknown, revoked or expired. */
  unauthenticated: () =>
    new AirlockError('unauthenticated', 'missing, invalid, expired or revoked credentials'),
  forbidden: (what: string) => new AirlockError('forbidden', `you may not ${what}`),
  noOrg: () =>
    new AirlockError('forbidden', 'this credential is not bound to an organisation (platform admin session)'),
  tokenNotFound: () => new AirlockError('not_found', 'no such API token'),
  connectionNotFound: () => new AirlockError('not_found', 'no such SSO connection'),
  orgNotFound: () => new AirlockError('not_found', 'no such organisation'),
  invalid: (issues: unknown) =>
    new AirlockError('validation_failed', 'request body is invalid', { details: issues }),
};
