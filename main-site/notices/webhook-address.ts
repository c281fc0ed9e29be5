import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { Agent } from 'undici';

/** Whether an address is an ordinary public unicast one (not loopback, private, link-local, multicast, reserved, ...). */
export function isPublicAddress(ip: string): boolean {
  try {
    let a = ipaddr.parse(ip);
    if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
    return a.range() === 'unicast';
  } catch {
    return false;
  }
}

const refusal = (what: string) => new Error(`refused: ${what} is a loopback, private or link-local address (set TIEUP_NOTICE_WEBHOOK_PRIVATE_ADDRESSES=true to allow)`);

/** A webhook URL whose host is an address literal outside public unicast is refused before connecting. */
export function checkWebhookHost(url: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host) && !isPublicAddress(host)) throw refusal(host);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * An HTTP agent whose DNS answers are checked where the connection is made, so
 * a webhook host cannot resolve to an address inside the operator's network
 * (including by changing its DNS answer between a check and the connection).
 */
export function publicOnlyAgent(): Agent {
  const lookup = (hostname: string, options: LookupOptions, cb: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, []);
      const ok = addresses.filter((a) => isPublicAddress(a.address));
      if (!ok.length) return cb(refusal(`${hostname} (${addresses.map((a) => a.address).join(', ')})`), []);
      if (options.all) return cb(null, ok);
      cb(null, ok[0]!.address, ok[0]!.family);
    });
  };
  return new Agent({ connect: { lookup } });
}
