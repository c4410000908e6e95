// fetch for URLs someone else chose (an IdP's issuer, what its discovery document names, SAML
// metadata URLs): every connection passes the outbound-destination guard (destinations.ts)
// inside the dispatcher's own connect step, as the gateway's upstream pools do. A literal
// address (any written form: the URL parser has already turned 2130706433 and 0177.0.0.1
// into 127.0.0.1) is checked before the socket opens; a name is checked on the addresses the
// socket's own DNS lookup returns, so the address checked is the address dialled (no window
// for a second, different DNS answer). Redirects go through the same dispatcher.
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import type { DestinationPolicy } from './destinations.js';

/** The code of every refusal by the outbound guard (also the gateway's lookup refusals). */
export const DESTINATION_REFUSED = 'EAIRLOCKREFUSED';

export class DestinationRefusedError extends Error {
  readonly code = DESTINATION_REFUSED;
  constructor(host: string, options?: { cause?: unknown }) {
    super(`outbound connection to ${host} refused by the destination guard`, options);
    this.name = 'DestinationRefusedError';
  }
}

/** True when the error, or one of its causes, is a refusal by the outbound guard. */
export function isDestinationRefused(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && depth < 8; depth++) {
    if ((cur as { code?: unknown }).code === DESTINATION_REFUSED) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

export interface GuardedFetchOptions {
  connectTimeoutMs?: number;
}

export type GuardedFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** An undici dispatcher whose every connection the policy admits (see the file comment). */
export function guardedDispatcher(policy: DestinationPolicy, options: GuardedFetchOptions = {}): Agent {
  const connectors = new Map<string, buildConnector.connector>();
  return new Agent({
    connect(opts, callback) {
      const host = opts.hostname;
      if (policy.hostVerdict(host) === 'refused') return callback(new DestinationRefusedError(host), null);
      let connector = connectors.get(host);
      if (!connector) {
        // One connector per host: its lookup knows whether the host needs a listed range.
        if (connectors.size >= 256) connectors.clear();
        connector = buildConnector({
          timeout: options.connectTimeoutMs ?? 5_000,
          lookup: policy.lookupFor(host),
        });
        connectors.set(host, connector);
      }
      connector(opts, callback);
    },
  });
}

/**
 * A fetch whose connections all pass `policy`. A refusal rejects with DestinationRefusedError
 * itself (code EAIRLOCKREFUSED), not fetch's generic "fetch failed", so callers can tell it apart.
 */
export function createGuardedFetch(
  policy: DestinationPolicy,
  options: GuardedFetchOptions = {},
): GuardedFetch {
  const dispatcher = guardedDispatcher(policy, options);
  return async (url, init) => {
    try {
      // undici's own fetch, so the dispatcher is the one this undici version understands; its
      // Response has the platform Response's shape (callers check by tag, not by class).
      const res = await undiciFetch(url, { ...(init as object), dispatcher } as Parameters<
        typeof undiciFetch
      >[1]);
      return res as unknown as Response;
    } catch (e) {
      if (isDestinationRefused(e) && !(e instanceof DestinationRefusedError)) {
        throw new DestinationRefusedError(new URL(url).hostname, { cause: e });
      }
      throw e;
    }
  };
}
