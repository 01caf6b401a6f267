import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** SPEC: an endpoint URL is at most this many characters. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;
/** How long resolving an endpoint's host may take before the URL is refused (getaddrinfo has no timeout of its own). */
export const DEFAULT_RESOLVE_TIMEOUT_MS = 5_000;
/** A host resolving to more addresses than this is refused: every one is checked, and the list is kept for the connection. */
const MAX_ADDRESSES = 64;

/** One address a host name resolves to, as `node:dns` `lookup` with `all: true` gives it. */
export interface ResolvedAddress {
  address: string;
  /** 4 or 6. */
  family: number;
}

/** Resolves a host name to every address it has (`node:dns` `lookup` with `all: true` by default). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface UrlPolicy {
  /** `config.webhooks.allowPrivateUrls`: `http://` and local addresses allowed (outside production). */
  allowPrivateUrls: boolean;
  /** Tests inject one; the system resolver otherwise. */
  resolve?: Resolver;
  /** DEFAULT_RESOLVE_TIMEOUT_MS unless given. */
  resolveTimeoutMs?: number;
}

/**
 * A URL the service may call: `addresses` are the vetted addresses of its host, which the
 * connection must use (so a second resolution cannot swap in another one), or `undefined` when
 * private addresses are allowed and the system resolves the host itself as usual.
 */
export interface SafeUrl {
  ok: true;
  url: URL;
  addresses: readonly ResolvedAddress[] | undefined;
}

/** A refused URL and why, in words a client developer can act on (never the resolver's internals). */
export interface UnsafeUrl {
  ok: false;
  reason: string;
}

/**
 * Where a webhook must never go, by what a client developer would call it: loopback, private
 * (RFC 1918, IPv6 unique local), link-local, carrier-grade NAT (RFC 6598), unspecified, multicast,
 * and reserved ranges, with the cloud metadata addresses (169.254.169.254, AWS's
 * fd00:ec2::254) named first though their ranges would refuse them too. `BlockList` matches
 * IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) against the IPv4 rules. Built per check: the
 * service keeps no module-level state.
 */
function forbiddenRanges(): [string, BlockList][] {
  const ranges: [string, [string, number, 'ipv4' | 'ipv6'][]][] = [
    [
      'cloud metadata',
      [
        ['169.254.169.254', 32, 'ipv4'],
        ['fd00:ec2::254', 128, 'ipv6'],
      ],
    ],
    [
      'loopback',
      [
        ['127.0.0.0', 8, 'ipv4'],
        ['::1', 128, 'ipv6'],
      ],
    ],
    [
      'private',
      [
        ['10.0.0.0', 8, 'ipv4'],
        ['172.16.0.0', 12, 'ipv4'],
        ['192.168.0.0', 16, 'ipv4'],
        ['fc00::', 7, 'ipv6'],
        ['fec0::', 10, 'ipv6'], // deprecated site-local
        ['64:ff9b:1::', 48, 'ipv6'], // local-use NAT64
      ],
    ],
    [
      'link-local',
      [
        ['169.254.0.0', 16, 'ipv4'],
        ['fe80::', 10, 'ipv6'],
      ],
    ],
    ['carrier-grade NAT', [['100.64.0.0', 10, 'ipv4']]],
    [
      'unspecified',
      [
        ['0.0.0.0', 8, 'ipv4'],
        ['::', 128, 'ipv6'],
      ],
    ],
    [
      'multicast',
      [
        ['224.0.0.0', 4, 'ipv4'],
        ['ff00::', 8, 'ipv6'],
      ],
    ],
    [
      'reserved',
      [
        ['192.0.0.0', 24, 'ipv4'], // IETF protocol assignments
        ['198.18.0.0', 15, 'ipv4'], // benchmarking, used inside some networks
        ['240.0.0.0', 4, 'ipv4'], // reserved, with the broadcast address
      ],
    ],
  ];
  return ranges.map(([name, subnets]) => {
    const list = new BlockList();
    for (const [network, prefix, type] of subnets) list.addSubnet(network, prefix, type);
    return [name, list];
  });
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0] as string;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = (dotted[1] as string).split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The IPv4 address an IPv6 one carries for translation (NAT64's 64:ff9b::/96, 6to4's 2002::/16),
 * whose private destination would be reached through a gateway, or `undefined`.
 */
function embeddedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  const quad = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const nat64 =
    groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((group) => group === 0);
  if (nat64) return quad(groups[6] as number, groups[7] as number);
  if (groups[0] === 0x2002) return quad(groups[1] as number, groups[2] as number);
  return undefined;
}

/**
 * Which kind of non-public address `address` (an IP address without brackets) is ("private",
 * "loopback", …), or `undefined` for a public one, which may be called. An IPv6 address carrying
 * an IPv4 one for translation (NAT64, 6to4) is judged by that IPv4 address too.
 */
export function forbiddenAddressKind(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'unparseable';
  const inner = family === 6 ? embeddedIpv4(address) : undefined;
  for (const [kind, list] of forbiddenRanges()) {
    if (
      list.check(address, family === 4 ? 'ipv4' : 'ipv6') ||
      (inner !== undefined && list.check(inner, 'ipv4'))
    ) {
      return kind;
    }
  }
  return undefined;
}

/** The system resolver: `node:dns` `lookup` with `all: true`, in the order the system gives. */
export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, order: 'verbatim' });

/** `resolve(hostname)`, or a refusal once `timeoutMs` has passed (the lookup itself cannot be cancelled). */
async function resolveWithin(
  resolve: Resolver,
  hostname: string,
  timeoutMs: number,
): Promise<{ ok: true; addresses: readonly ResolvedAddress[] } | UnsafeUrl> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<UnsafeUrl>((done) => {
    timer = setTimeout(
      () => done({ ok: false, reason: `resolving ${hostname} took longer than ${timeoutMs} ms` }),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    return await Promise.race([
      resolve(hostname).then((addresses) => ({ ok: true as const, addresses })),
      timeout,
    ]);
  } catch {
    return { ok: false, reason: `the host ${hostname} could not be resolved` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The shape rules, which need no network: an absolute URL of at most MAX_WEBHOOK_URL_LENGTH
 * characters, `https://` (or `http://` when private URLs are allowed), a host, and no user name
 * or password in it (they would be sent to the receiver and stored in clear here).
 */
export function checkUrlShape(raw: string, allowPrivateUrls: boolean): URL | UnsafeUrl {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    return { ok: false, reason: `the URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters` };
  }
  if (!URL.canParse(raw))
    return { ok: false, reason: 'it is not an absolute URL such as https://example.com/hooks' };
  const url = new URL(raw);
  const schemes = allowPrivateUrls ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    return {
      ok: false,
      reason: `the URL must start with ${allowPrivateUrls ? 'https:// or http://' : 'https://'}`,
    };
  }
  if (url.hostname === '') return { ok: false, reason: 'the URL has no host' };
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'the URL must not carry a user name or password' };
  }
  return url;
}

/**
 * Whether the service may send webhooks to `raw` (SPEC "Notifications to client applications"):
 * the shape rules of `checkUrlShape`, then, unless `policy.allowPrivateUrls`, the host is resolved
 * (within `resolveTimeoutMs`) and refused if ANY of its addresses is forbidden
 * (`forbiddenAddressKind`), since a client could otherwise reach the service's own network; an
 * IP literal is checked as it is. Checked when an endpoint is saved and again before each send;
 * the addresses returned are the ones a send must connect to. Never throws.
 */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<SafeUrl | UnsafeUrl> {
  const url = checkUrlShape(raw, policy.allowPrivateUrls);
  if (!(url instanceof URL)) return url;
  if (policy.allowPrivateUrls) return { ok: true, url, addresses: undefined };

  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(host);
  const resolved =
    family !== 0
      ? { ok: true as const, addresses: [{ address: host, family }] }
      : await resolveWithin(
          policy.resolve ?? systemResolver,
          host,
          policy.resolveTimeoutMs ?? DEFAULT_RESOLVE_TIMEOUT_MS,
        );
  if (!resolved.ok) return resolved;
  const { addresses } = resolved;
  if (addresses.length === 0) return { ok: false, reason: `the host ${host} has no address` };
  if (addresses.length > MAX_ADDRESSES)
    return { ok: false, reason: `the host ${host} has too many addresses` };
  for (const { address } of addresses) {
    const kind = forbiddenAddressKind(address);
    if (kind !== undefined) {
      const what = `a ${kind} address, not a public one`;
      return {
        ok: false,
        reason: family === 0 ? `${host} resolves to ${address}, ${what}` : `${address} is ${what}`,
      };
    }
  }
  return { ok: true, url, addresses };
}
