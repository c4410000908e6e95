// The rules of just-in-time provisioning after a verified SSO sign-in: which email signs in,
// which account it may reach, which role it gets, and what is audited and revoked after. The
// transaction that finds or creates the user, records the IdP identity and sets the membership
// is store/provisioning.ts. Used by OIDC and SAML alike.
import { auditActorOf as actorOf, ROLES, type Role } from '@airlock/common';
import type { IdentityContext } from '../context.js';
import { loginFailures } from './login-failure.js';
import { emailDomainAllowed, mapRole } from './role-mapping.js';
import { provisionSsoAccount, renameIfOnlyHere } from '../store/provisioning.js';
import { revokeAllSessions } from './sessions.js';
import { revokeAllTokens } from './tokens.js';
import type { ConnectionRow } from '../store/sso-connections.js';

export interface VerifiedIdentity {
  subject: string;
  email: string | null;
  /** OIDC only: true only when the IdP sent the boolean `email_verified: true`. */
  emailVerified?: boolean;
  name: string | null;
  groups: string[];
  /** SAML: the AuthnRequest ID the verified response answered. */
  inResponseTo?: string;
  /** Everything the IdP asserted (ID token claims, SAML attributes), for a test sign-in's report. */
  claims?: Record<string, unknown>;
}

export interface ProvisionedUser {
  userId: string;
  email: string;
  role: Role;
  created: boolean;
  roleBefore: Role | null;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export async function provisionSsoUser(
  ctx: IdentityContext,
  org: { id: string; allowedEmailDomains: string[] },
  connection: ConnectionRow,
  who: VerifiedIdentity,
  requireMappedGroup: boolean,
): Promise<ProvisionedUser> {
  const email = who.email?.trim().toLowerCase() ?? '';
  if (!EMAIL.test(email)) throw loginFailures.missingEmail();
  if (!emailDomainAllowed(email, org.allowedEmailDomains)) throw loginFailures.emailDomain();
  const verified = emailIsVerified(connection.protocol, email, who.emailVerified, org.allowedEmailDomains);
  // An OIDC IdP that does not vouch for the address does not sign anyone in by it: the email
  // is the global account key, so an unverified one could squat another tenant's user.
  if (connection.protocol === 'oidc' && !verified) throw loginFailures.missingEmail();
  const mapped = mapRole(
    who.groups,
    connection.groupRoleMap as Record<string, Role>,
    connection.defaultRole,
    requireMappedGroup,
  );
  const name = who.name?.slice(0, 200) ?? null;
  // The domain check above passed, so an org with claims claims this email's domain.
  const claims = org.allowedEmailDomains.length > 0;

  const result = await provisionSsoAccount(
    ctx.db,
    {
      orgId: org.id,
      connectionId: connection.id,
      subject: who.subject,
      email,
      name,
      groups: who.groups,
      now: ctx.clock(),
      claims,
      // A role the platform promised this email (a pending owner): only a verified email
      // through this org's own IdP takes it, and it never lowers the mapped role.
      takeInvitation: verified,
    },
    {
      async admit(user, linked, heldElsewhere) {
        // The break-glass account is never reachable through an org's IdP: an IdP asserting its
        // email must not become a platform admin session.
        if (user?.isPlatformAdmin) throw loginFailures.platformAccount();
        if (user && user.status !== 'active') throw loginFailures.accountDisabled();
        // Linking this IdP identity to an account that exists by email: only with a strictly
        // verified email and only for an account no other org holds (an IdP one org controls
        // must never reach another org's user).
        if (linked && !verified) throw loginFailures.unverifiedLink();
        if (linked && (await heldElsewhere())) throw loginFailures.foreignAccount();
      },
      roleWith: (granted) => stronger(mapped, granted),
    },
  );

  // The name is global: one org's IdP renames only users who belong to no other org.
  if (!result.created) await renameIfOnlyHere(ctx.db, org.id, result.userId, name);

  const actor = actorOf({
    kind: 'session',
    userId: result.userId,
    email,
    orgId: org.id,
    role: result.role,
    isPlatformAdmin: false,
    expiresAt: null,
  });
  const target = { type: 'user', id: result.userId };
  if (result.linked) {
    ctx.audit.publish({
      action: 'identity.linked',
      orgId: org.id,
      actor,
      outcome: 'success',
      details: { connectionId: connection.id, protocol: connection.protocol, by: 'verified_email' },
      target,
    });
  }
  if (result.granted) {
    ctx.audit.publish({
      action: 'member.invitation_accepted',
      orgId: org.id,
      actor,
      outcome: 'success',
      details: { role: result.granted },
      target,
    });
  }
  if (result.role === null) {
    // No longer in any mapped group: access ends now, not at the next expiry.
    await revokeAllSessions(ctx, result.userId, org.id);
    await revokeAllTokens(ctx, result.userId, org.id);
    if (result.roleBefore) {
      ctx.audit.publish({
        action: 'member.removed',
        orgId: org.id,
        actor,
        outcome: 'success',
        details: { role: result.roleBefore },
        target,
      });
    }
    throw loginFailures.noMappedGroup();
  }
  if (result.roleBefore === null) {
    ctx.audit.publish({
      action: 'member.added',
      orgId: org.id,
      actor,
      outcome: 'success',
      details: { role: result.role },
      target,
    });
  } else if (result.roleBefore !== result.role) {
    await ctx.resolver.invalidate({ type: 'user', id: result.userId });
    ctx.audit.publish({
      action: 'member.role_changed',
      orgId: org.id,
      actor,
      outcome: 'success',
      details: { before: result.roleBefore, after: result.role },
      target,
    });
  }
  return {
    userId: result.userId,
    email,
    role: result.role,
    created: result.created,
    roleBefore: result.roleBefore,
  };
}

/**
 * Whether the address is one the connection vouches for: OIDC only with the boolean
 * `email_verified: true` (not "true", not absent); SAML has no such claim, so only an address
 * in a domain this org has claimed (a non-empty allowed-domains list that names it).
 */
export function emailIsVerified(
  protocol: string,
  email: string,
  emailVerified: boolean | undefined,
  allowedDomains: readonly string[],
): boolean {
  if (protocol === 'oidc') return emailVerified === true;
  return allowedDomains.length > 0 && emailDomainAllowed(email, allowedDomains);
}

/** The more powerful of two roles (null: none). */
function stronger(a: Role | null, b: Role | null): Role | null {
  if (a === null) return b;
  if (b === null) return a;
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}
