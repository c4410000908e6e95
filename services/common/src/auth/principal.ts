import type { Role } from '../generated/prisma/enums.js';

/**
 * Who is calling, after authentication. Org-scoped work always uses `orgId` from here,
 * never an org id from the request (ARCHITECTURE.md: org scoping by construction).
 * A token's role is its owner's role at request time, so a token never outranks its owner.
 */
export interface Principal {
  kind: 'session' | 'api_token' | 'scim';
  userId: string | null;
  email: string | null;
  /** Null only for a platform admin's break-glass session. */
  orgId: string | null;
  role: Role | null;
  isPlatformAdmin: boolean;
  sessionId?: string;
  tokenId?: string;
  /** When the credential stops working (session absolute/idle expiry, token expiry). */
  expiresAt: Date | null;
}
