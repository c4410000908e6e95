// A sign-in that must not complete. `reason` is a stable snake_case word for the audit event
// (auth.login_failed); `message` is what the person at the browser is told.
import { loginFailureReasonOf, type AirlockError, type LoginFailureReason } from '@airlock/common';

export class LoginFailure extends Error {
  constructor(
    readonly reason: LoginFailureReason,
    readonly userMessage: string,
    readonly status = 400,
    options?: { cause?: unknown },
  ) {
    super(userMessage, options);
    this.name = 'LoginFailure';
  }
}

export const loginFailures = {
  /** A platform rule refused the sign-in (demoting the last owner while provisioning…): say which. */
  refusedBy: (e: AirlockError) =>
    new LoginFailure(loginFailureReasonOf(e.code), `Sign-in refused: ${e.message}.`, e.status, { cause: e }),
  unknownOrg: () =>
    new LoginFailure('unknown_org', 'This organisation does not exist. Check the sign-in link.', 404),
  orgSuspended: () =>
    new LoginFailure(
      'org_suspended',
      'This organisation is suspended: nobody can sign in to it. Ask your administrator.',
      403,
    ),
  /** The link names a connection the org does not have enabled (the chooser's links are fine). */
  unknownConnection: () =>
    new LoginFailure(
      'unknown_connection',
      'This sign-in option is not available for this organisation. Start again from its sign-in page.',
      404,
    ),
  noConnection: () =>
    new LoginFailure(
      'no_connection',
      'Single sign-on is not set up for this organisation. Ask your administrator.',
      404,
    ),
  badState: () =>
    new LoginFailure(
      'state_mismatch',
      'This sign-in link has expired or was not started in this browser. Please start again.',
    ),
  idpError: (cause?: unknown) =>
    new LoginFailure('idp_response_invalid', 'The identity provider’s response could not be verified.', 400, {
      cause,
    }),
  idpDenied: () => new LoginFailure('idp_denied', 'The identity provider did not sign you in.', 403),
  missingEmail: () =>
    new LoginFailure('missing_email', 'The identity provider did not send a verified email address.', 403),
  emailDomain: () =>
    new LoginFailure(
      'email_domain_not_allowed',
      'Your email domain is not allowed for this organisation.',
      403,
    ),
  noMappedGroup: () =>
    new LoginFailure(
      'no_mapped_group',
      'You are not in any group that grants access to this organisation. Ask your administrator.',
      403,
    ),
  unverifiedLink: () =>
    new LoginFailure(
      'unverified_email_link',
      'An account with this email already exists, and the identity provider did not verify the address. Ask your administrator.',
      403,
    ),
  foreignAccount: () =>
    new LoginFailure(
      'account_held_elsewhere',
      'This email belongs to an account this identity provider does not manage. Ask your administrator.',
      403,
    ),
  accountDisabled: () => new LoginFailure('account_disabled', 'This account is deactivated.', 403),
  platformAccount: () =>
    new LoginFailure('reserved_account', 'This account cannot sign in with single sign-on.', 403),
};
