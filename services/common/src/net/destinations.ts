// Where the gateway may connect. Upstreams come only from admin policy, and even then:
// never link-local or cloud metadata addresses, loopback only when explicitly allowed, and,
// with an allowlist (required when air-gapped), only listed hosts and ranges. Names are
// checked before any connection; resolved addresses are checked in the socket's own DNS
// lookup, so the address that is checked is the address that is dialled (no DNS rebinding).
import dns, { type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface DestinationRules {
  /** Host names ("vllm.internal", "*.corp"), IPs and CIDRs; empty: any host. */
  allowlist: readonly string[];
  allowLoopback: boolean;
}

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

const ALWAYS_REFUSED: [Addr, number][] = [
  ipaddr.parseCIDR('169.254.0.0/16'), // link-local, incl. 169.254.169.254 (cloud metadata)
  ipaddr.parseCIDR('fe80::/10'),
  ipaddr.parseCIDR('fd00:ec2::254/128'), // AWS metadata over IPv6
  ipaddr.parseCIDR('0.0.0.0/8'),
  ipaddr.parseCIDR('::/128'),
  ipaddr.parseCIDR('224.0.0.0/4'),
  ipaddr.parseCIDR('ff00::/8'),
  ipaddr.parseCIDR('255.255.255.255/32'),
];
// IPv4-compatible (::a9fe:a9fe) and NAT64 (64:ff9b::/96, 64:ff9b:1::/48) forms reach an IPv4
// address through IPv6: they are checked as the IPv4 they embed too (see embeddedIpv4).
/** Names of cloud metadata services (compared without a trailing dot). */
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata',
  'instance-data',
  'metadata.azure.internal',
]);
const EMBEDS_IPV4: [Addr, number][] = [
  ipaddr.parseCIDR('64:ff9b::/96'),
  ipaddr.parseCIDR('64:ff9b:1::/48'),
  ipaddr.parseCIDR('::/96'),
];

/** The IPv4 address a NAT64 or IPv4-compatible IPv6 address embeds (last 32 bits), else null. */
function embeddedIpv4(addr: Addr): ipaddr.IPv4 | null {
  if (addr.kind() !== 'ipv6' || !inAny(addr, EMBEDS_IPV4)) return null;
  const text = addr.toNormalizedString();
  if (text === '0:0:0:0:0:0:0:1' || text === '0:0:0:0:0:0:0:0') return null; // ::1, :: themselves
  const b = (addr as ipaddr.IPv6).toByteArray().slice(12);
  return new ipaddr.IPv4(b);
}
const LOOPBACK: [Addr, number][] = [ipaddr.parseCIDR('127.0.0.0/8'), ipaddr.parseCIDR('::1/128')];

function inAny(addr: Addr, ranges: readonly [Addr, number][]): boolean {
  // kinds are compared first, so the casts only satisfy the union's overloads
  return ranges.some(
    ([range, bits]) =>
      addr.kind() === range.kind() && (addr as ipaddr.IPv4).match(range as ipaddr.IPv4, bits),
  );
}

export class DestinationPolicy {
  private readonly names: string[] = [];
  private readonly ranges: [Addr, number][] = [];

  constructor(private readonly rules: DestinationRules) {
    for (const entry of rules.allowlist) {
      if (entry.includes('/')) this.ranges.push(ipaddr.parseCIDR(entry));
      else if (ipaddr.isValid(entry)) {
        const a = ipaddr.process(entry);
        this.ranges.push([a, a.kind() === 'ipv4' ? 32 : 128]);
      } else this.names.push(entry.toLowerCase());
    }
  }

  get restricted(): boolean {
    return this.rules.allowlist.length > 0;
  }

  /** May this resolved address be dialled? */
  addressAllowed(address: string): boolean {
    if (!ipaddr.isValid(address)) return false;
    // process() turns ::ffff:a.b.c.d back into IPv4; NAT64 is unwrapped here.
    const direct = ipaddr.process(address);
    for (const addr of [direct, embeddedIpv4(direct)]) {
      if (!addr) continue;
      if (inAny(addr, ALWAYS_REFUSED)) return false;
      if (!this.rules.allowLoopback && inAny(addr, LOOPBACK)) return false;
    }
    // A host allowed by name may resolve anywhere not refused above; otherwise a range must match.
    return true;
  }

  private nameListed(host: string): boolean {
    return this.names.some((n) => (n.startsWith('*.') ? host.endsWith(n.slice(1)) : host === n));
  }

  /**
   * The pre-connection check on a URL's host. 'lookup' means the name is not listed but
   * ranges are: the resolved address decides (in the socket's lookup, before any dial).
   */
  hostVerdict(hostname: string): 'allowed' | 'refused' | 'lookup' {
    // A trailing dot names the same host ("metadata.google.internal.").
    const host = hostname
      .replace(/^\[|\]$/g, '')
      .toLowerCase()
      .replace(/\.$/, '');
    if (METADATA_NAMES.has(host)) return 'refused';
    if (ipaddr.isValid(host)) {
      if (!this.addressAllowed(host)) return 'refused';
      if (!this.restricted) return 'allowed';
      return inAny(ipaddr.process(host), this.ranges) ? 'allowed' : 'refused';
    }
    if (!this.restricted || this.nameListed(host)) return 'allowed';
    return this.ranges.length > 0 ? 'lookup' : 'refused';
  }

  /** A net.connect lookup that refuses forbidden addresses, for one upstream host. */
  lookupFor(hostname: string): LookupFunction {
    const needRange = this.hostVerdict(hostname) === 'lookup';
    return ((host: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
      dns.lookup(host, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err);
        const bad = addresses.find(
          (a) =>
            !this.addressAllowed(a.address) || (needRange && !inAny(ipaddr.process(a.address), this.ranges)),
        );
        if (bad || addresses.length === 0) {
          const e = Object.assign(new Error(`upstream address refused by destination policy`), {
            code: 'EAIRLOCKREFUSED',
          });
          return callback(e);
        }
        if (options.all) return callback(null, addresses);
        return callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    }) as unknown as LookupFunction;
  }
}
