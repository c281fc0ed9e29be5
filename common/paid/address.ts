import ipaddr from 'ipaddr.js';

export type AddressPolicy = 'exact' | 'prefix' | 'none';

/** The prefix lengths "the same network" means under the prefix policy. */
export const PREFIX_BITS = { ipv4: 24, ipv6: 56 } as const;

/**
 * Parses a client address as a server sees it; an IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1, what a dual-stack socket reports for an IPv4 client) is
 * the IPv4 address it carries, so the same shopper compares equal however the
 * socket was opened. undefined for anything that is not an address.
 */
export function parseAddress(s: string | null | undefined): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!s || !ipaddr.isValid(s)) return undefined;
  const a = ipaddr.parse(s);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) return (a as ipaddr.IPv6).toIPv4Address();
  return a;
}

/** The canonical text of an address (mapped IPv4 unwrapped, IPv6 in its normal form), or undefined. */
export function canonicalAddress(s: string | null | undefined): string | undefined {
  const a = parseAddress(s);
  return a?.toNormalizedString();
}

/**
 * Whether `seen` is the same client as `bound` under a policy. Addresses of
 * different families never match under exact or prefix: an IPv4 <-> IPv6
 * switch needs the "none" policy (docs/paid-content.md says why).
 */
export function sameClient(policy: AddressPolicy, bound: string, seen: string): boolean {
  if (policy === 'none') return true;
  if (bound === seen) return true;
  const a = parseAddress(bound);
  const b = parseAddress(seen);
  if (!a || !b || a.kind() !== b.kind()) return false;
  if (policy === 'exact') return a.toNormalizedString() === b.toNormalizedString();
  // match() wants both of one family; checked above.
  return a.kind() === 'ipv4' ? (a as ipaddr.IPv4).match(b, PREFIX_BITS.ipv4) : (a as ipaddr.IPv6).match(b, PREFIX_BITS.ipv6);
}
