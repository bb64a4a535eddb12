// Where Margin may connect on a user's behalf (SSRF guard). Every URL an admin or a tenant gives (a provider's
// base URL today; publishing endpoints, webhooks and callbacks as they come) is checked when it is saved and
// again at connect time, against the addresses its name resolves to, so a DNS answer cannot smuggle a private
// address past the first check. The hosts the operator configured in the environment are trusted as given.
import * as ipaddr from 'ipaddr.js';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { DomainError } from '../errors/domain-error';

export interface OutboundPolicySettings {
  /** Loopback (127.0.0.0/8, ::1) allowed, e.g. for a model server on the same machine. */
  allowLoopback: boolean;
  /** Private ranges (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10) allowed, e.g. a GPU box on the LAN. */
  allowPrivate: boolean;
  /** `host` or `host:port` always allowed (lower case), whatever they resolve to. */
  allowHosts: readonly string[];
}

export class OutboundUrlRefusedError extends DomainError {
  readonly code = 'url_not_allowed';
  readonly httpStatus = 400;
}

/** What an address is, for the policy: ipaddr.js's range names folded into the classes that decide. */
type AddressClass = 'public' | 'loopback' | 'private' | 'never';

const PRIVATE_RANGES = new Set(['private', 'uniqueLocal', 'carrierGradeNat']);

function classify(address: string): AddressClass {
  if (!ipaddr.isValid(address)) return 'never';
  // ::ffff:127.0.0.1 and friends are judged as the IPv4 address they carry
  const range = ipaddr.process(address).range();
  if (range === 'unicast') return 'public';
  if (range === 'loopback') return 'loopback';
  if (PRIVATE_RANGES.has(range)) return 'private';
  // link-local (cloud metadata at 169.254.169.254), unspecified, multicast, broadcast, reserved, …
  return 'never';
}

export class OutboundPolicy {
  private readonly hosts: ReadonlySet<string>;

  constructor(readonly settings: OutboundPolicySettings) {
    this.hosts = new Set(settings.allowHosts.map((h) => h.toLowerCase()));
  }

  /** Why `raw` may not be used as an outbound URL, or null when it may (its addresses are checked again on connect). */
  refusal(raw: string): string | null {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'is not a valid URL';
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https';
    if (url.username || url.password) return 'must not carry credentials (user:password@); give the key separately';
    if (this.hostAllowed(url)) return null;
    // WHATWG URL has already turned 0x7f000001, 2130706433 and 0177.0.0.1 into 127.0.0.1
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (ipaddr.isValid(host)) return this.addressRefusal(host);
    if (host === 'localhost' || host.endsWith('.localhost'))
      return this.settings.allowLoopback ? null : 'points at this machine (loopback), which is not allowed here';
    return null;
  }

  /** Throws a 400 naming `field` when the URL may not be used. */
  assertAllowed(field: string, raw: string): void {
    const why = this.refusal(raw);
    if (why) throw new OutboundUrlRefusedError(`${field} ${why} (allow it with OUTBOUND_ALLOW_HOSTS, OUTBOUND_ALLOW_PRIVATE or OUTBOUND_ALLOW_LOOPBACK)`);
  }

  /**
   * A dns.lookup for outbound sockets: resolves as usual, then drops the addresses the policy does not allow
   * (a name on the allow-list keeps all of them). Node calls it only for host names; literal addresses are
   * checked with `refusal` before a request is sent.
   */
  connectLookup(): typeof dnsLookup {
    const guarded = (
      hostname: string,
      options: LookupOptions,
      callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
    ) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, []);
        const trusted = this.nameAllowed(hostname);
        const allowed = trusted ? addresses : addresses.filter((a) => this.addressRefusal(a.address) === null);
        if (!allowed.length) {
          return callback(
            Object.assign(new Error(`${hostname} resolves only to addresses outbound connections may not reach`), { code: 'EOUTBOUNDREFUSED' }),
            [],
          );
        }
        if (options.all) return callback(null, allowed);
        const first = allowed[0] as LookupAddress;
        return callback(null, first.address, first.family);
      });
    };
    return guarded as unknown as typeof dnsLookup;
  }

  /** A host name on the allow-list with any port (the port was checked when the URL was saved). */
  private nameAllowed(hostname: string): boolean {
    const host = hostname.toLowerCase();
    if (this.hosts.has(host)) return true;
    for (const h of this.hosts) if (h.startsWith(`${host}:`)) return true;
    return false;
  }

  private hostAllowed(url: URL): boolean {
    const host = url.hostname.toLowerCase();
    return this.hosts.has(host) || this.hosts.has(`${host}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`);
  }

  private addressRefusal(address: string): string | null {
    switch (classify(address)) {
      case 'public':
        return null;
      case 'loopback':
        return this.settings.allowLoopback ? null : 'points at this machine (loopback), which is not allowed here';
      case 'private':
        return this.settings.allowPrivate ? null : 'points at a private network address, which is not allowed here';
      case 'never':
        return 'points at a link-local, metadata or reserved address, which is never allowed';
    }
  }
}
