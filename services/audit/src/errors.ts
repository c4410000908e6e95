// The audit service's errors. Codes come from common's ERROR_CODES (stable API); these
// helpers keep the client-facing messages in one place.
import { AirlockError, problemsOf, validationFailed } from '@airlock/common';

export const auditErrors = {
  forbidden: (what: string) => new AirlockError('forbidden', `you may not ${what}`),
  invalidQuery: (issues: readonly { path: readonly PropertyKey[]; message: string }[]) =>
    validationFailed(problemsOf(issues), 'query parameters are invalid'),
  invalidCursor: () =>
    validationFailed([{ path: '$.cursor', message: 'invalid cursor' }], 'cursor is invalid'),
};
