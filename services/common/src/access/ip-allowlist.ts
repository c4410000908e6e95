// The admin API IP allowlist (policy.admin.ipAllowlist). `ip` is req.ip: express derives it
// from X-Forwarded-For only for hops listed in AIRLOCK_TRUSTED_PROXIES, else the socket.
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseRange(entry: string): Range | null {
  try {
    if (entry.includes('/')) return ipaddr.parseCIDR(entry);
    const address = ipaddr.parse(entry);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

/** True when `ip` is inside one of the CIDRs. An empty list allows every address. */
export function ipAllowed(ip: string | undefined, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  if (!ip) return false;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() turns an IPv4-mapped IPv6 address (::ffff:10.0.0.1) back into IPv4.
    address = ipaddr.process(ip);
  } catch {
    return false; // not an address: fail closed
  }
  for (const entry of cidrs) {
    const range = parseRange(entry);
    if (!range) continue;
    const [network, bits] = range;
    // An IPv6 range may hold IPv4 clients in their mapped form (::ffff:0:0/96).
    const candidate =
      address instanceof ipaddr.IPv4 && network instanceof ipaddr.IPv6
        ? address.toIPv4MappedAddress()
        : address;
    if (candidate instanceof ipaddr.IPv4 && network instanceof ipaddr.IPv4 && candidate.match(network, bits))
      return true;
    if (candidate instanceof ipaddr.IPv6 && network instanceof ipaddr.IPv6 && candidate.match(network, bits))
      return true;
  }
  return false;
}
