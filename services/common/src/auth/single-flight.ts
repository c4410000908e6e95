// The shared resolver caches principals for a few seconds but loads each cache miss on its
// own: when an entry expires under load, every in-flight request for that token queries the
// database at once. This wrapper lets concurrent lookups of one credential share one load.
import type { Principal } from './principal.js';
import type { PrincipalResolver } from './resolver.js';

export function singleFlight(resolver: PrincipalResolver): PrincipalResolver {
  const bearer = new Map<string, Promise<Principal | null>>();
  const session = new Map<string, Promise<Principal | null>>();
  const shared = (
    map: Map<string, Promise<Principal | null>>,
    key: string,
    load: () => Promise<Principal | null>,
  ) => {
    let pending = map.get(key);
    if (!pending) {
      pending = load().finally(() => map.delete(key));
      map.set(key, pending);
    }
    return pending;
  };
  return {
    fromBearer: (token) => shared(bearer, token, () => resolver.fromBearer(token)),
    fromSession: (value) => shared(session, value, () => resolver.fromSession(value)),
    invalidate: (what) => resolver.invalidate(what),
    start: () => resolver.start(),
    stop: () => resolver.stop(),
  };
}
