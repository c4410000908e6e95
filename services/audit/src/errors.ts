// The audit service's errors. Codes come from common's ERROR_CODES (stable API); these
// helpers keep the client-facing messages in one place.
import { AirlockError } from '@airlock/common';

export const auditErrors = {
  forbidden: (what: string) => new AirlockError('forbidden', `you may not ${what}`),
  noOrg: () =>
    new AirlockError('forbidden', 'this credential is not bound to an organisation (platform admin session)'),
  invalidQuery: (issues: unknown) =>
    new AirlockError('validation_failed', 'query parameters are invalid', { details: issues }),
  invalidCursor: () =>
    new AirlockError('validation_failed', 'cursor is invalid', {
      details: [{ path: ['cursor'], message: 'invalid cursor' }],
    }),
};
