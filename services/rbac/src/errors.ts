// The rbac service's errors. Codes come from common's ERROR_CODES (stable API); these helpers
// keep the client-facing messages in one place and identical across routes.
import { AirlockError, lastOwnerError, validationFailed, type Problem } from '@airlock/common';

export const rbacErrors = {
  forbidden: (what: string) => new AirlockError('forbidden', `you may not ${what}`),
  platformOnly: () => new AirlockError('platform_admin_required', 'this route needs the platform admin'),
  selfChange: () => new AirlockError('self_change', 'you may not change your own role or remove yourself'),
  /** Shared with identity's provisioning (common's membership/). */
  lastOwner: lastOwnerError,
  orgNotFound: () => new AirlockError('not_found', 'no such organisation'),
  slugTaken: () => new AirlockError('slug_taken', 'an organisation with this slug already exists'),
  orgSuspended: () =>
    new AirlockError(
      'org_suspended',
      'this organisation is suspended; activate it before changing its sign-in set-up',
    ),
  grantExists: () =>
    new AirlockError(
      'grant_exists',
      'this email already has an open pending grant in this organisation; revoke it first',
    ),
  grantNotFound: () => new AirlockError('not_found', 'no such open pending grant in this organisation'),
  userNotFound: () => new AirlockError('not_found', 'no such user'),
  inviteByEmail: () =>
    new AirlockError(
      'not_found',
      'no such member in this organisation; invite people who are not members yet by email',
    ),
  memberNotFound: () => new AirlockError('not_found', 'no such member in this organisation'),
  alreadyMember: () =>
    new AirlockError('already_member', 'this user is already a member of this organisation'),
  emailDomainNotAllowed: () =>
    new AirlockError(
      'email_domain_not_allowed',
      "the user's email domain is not allowed in this organisation",
    ),
  versionNotFound: () => new AirlockError('not_found', 'no such policy version'),
  versionConflict: (current: number) =>
    new AirlockError(
      'policy_version_conflict',
      `the policy changed since you read it (current version ${current}); reload and retry`,
      {
        details: { currentVersion: current },
        headers: { ETag: `"${current}"` },
      },
    ),
  ifMatchRequired: () =>
    new AirlockError(
      'precondition_required',
      'If-Match with the policy version you read (its ETag) is required',
      {
        details: { header: 'If-Match' },
      },
    ),
  ifMatchInvalid: () =>
    new AirlockError(
      'invalid_precondition',
      'If-Match must be one policy version as returned in ETag, e.g. "3"',
      {
        details: { header: 'If-Match' },
      },
    ),
  invalid: (problems: Problem[], message = 'request is invalid') => validationFailed(problems, message),
};
