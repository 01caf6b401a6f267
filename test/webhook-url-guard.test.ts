import { describe, expect, it } from 'vitest';
import {
  checkWebhookUrl,
  forbiddenAddressKind,
  type ResolvedAddress,
  type Resolver,
} from '../src/notifications/url-guard.ts';

/** A resolver answering from a table, and counting what it was asked. */
function resolverOf(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (addresses === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

const production = (resolve: Resolver, resolveTimeoutMs?: number) => ({
  allowPrivateUrls: false,
  resolve,
  ...(resolveTimeoutMs === undefined ? {} : { resolveTimeoutMs }),
});

describe('forbiddenAddressKind', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.0.1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a9fe:a9fe', 'cloud metadata'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:c0a8:101::1', 'private'],
  ])('refuses %s as %s', (address, kind) => {
    expect(forbiddenAddressKind(address)).toBe(kind);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('allows %s', (address) => {
    expect(forbiddenAddressKind(address)).toBeUndefined();
  });
});

describe('checkWebhookUrl in production (WEBHOOK_ALLOW_PRIVATE_URLS unset)', () => {
  const resolve = resolverOf({
    'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'internal.example.com': ['10.1.2.3'],
    'sneaky.example.com': ['93.184.215.14', '192.168.0.10'],
    'mapped.example.com': ['::ffff:169.254.169.254'],
    localhost: ['127.0.0.1', '::1'],
  });

  it('accepts a public https:// URL and returns the vetted addresses to connect to', async () => {
    const checked = await checkWebhookUrl('https://hooks.example.com/wallet?x=1', production(resolve));
    expect(checked).toMatchObject({
      ok: true,
      addresses: [{ address: '93.184.215.14', family: 4 }, { family: 6 }],
    });
  });

  it.each([
    ['https://127.0.0.1/hooks', /^127\.0\.0\.1 is a loopback address, not a public one$/],
    ['https://10.0.0.1/hooks', /^10\.0\.0\.1 is a private address/],
    ['https://169.254.169.254/latest/meta-data', /^169\.254\.169\.254 is a cloud metadata address/],
    ['https://[::1]/hooks', /^::1 is a loopback address/],
    ['https://[::ffff:10.0.0.1]/hooks', /^::ffff:a00:1 is a private address/],
    ['https://[fd00:ec2::254]/', /^fd00:ec2::254 is a cloud metadata address/],
    ['https://0x7f.1/hooks', /^127\.0\.0\.1 is a loopback address/],
    ['https://2130706433/hooks', /^127\.0\.0\.1 is a loopback address/],
    [
      'https://internal.example.com/hooks',
      /^internal\.example\.com resolves to 10\.1\.2\.3, a private address, not a public one$/,
    ],
    ['https://sneaky.example.com/hooks', /resolves to 192\.168\.0\.10, a private address/],
    ['https://mapped.example.com/hooks', /resolves to ::ffff:169\.254\.169\.254, a cloud metadata address/],
    ['https://localhost:8443/hooks', /^localhost resolves to 127\.0\.0\.1, a loopback address/],
    ['https://nowhere.example.com/hooks', /could not be resolved/],
    ['http://hooks.example.com/hooks', /must start with https:\/\//],
    ['ftp://hooks.example.com/hooks', /must start with https:\/\//],
    ['hooks.example.com/hooks', /not an absolute URL/],
    ['/hooks', /not an absolute URL/],
    ['https://user:pass@hooks.example.com/hooks', /user name or password/],
    [`https://hooks.example.com/${'a'.repeat(2048)}`, /longer than 2048/],
  ])('refuses %s', async (url, reason) => {
    const checked = await checkWebhookUrl(url, production(resolve));
    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : checked.reason).toMatch(reason);
  });

  it('refuses a host whose resolution takes longer than the timeout, without waiting for it', async () => {
    const never: Resolver = () => new Promise(() => {});
    const started = Date.now();
    const checked = await checkWebhookUrl('https://slow.example.com/', production(never, 50));
    expect(checked).toEqual({ ok: false, reason: 'resolving slow.example.com took longer than 50 ms' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('checks an IP literal without asking the resolver', async () => {
    const counting = resolverOf({});
    expect((await checkWebhookUrl('https://93.184.215.14/hooks', production(counting))).ok).toBe(true);
    expect((await checkWebhookUrl('https://[::1]/hooks', production(counting))).ok).toBe(false);
    expect(counting.asked).toEqual([]);
  });
});

describe('checkWebhookUrl outside production (private URLs allowed)', () => {
  it('accepts http:// and local addresses, and never resolves', async () => {
    const counting = resolverOf({});
    const policy = { allowPrivateUrls: true, resolve: counting };
    expect(await checkWebhookUrl('http://127.0.0.1:8080/hooks', policy)).toMatchObject({
      ok: true,
      addresses: undefined,
    });
    expect((await checkWebhookUrl('http://localhost/hooks', policy)).ok).toBe(true);
    expect(counting.asked).toEqual([]);
  });

  it('still refuses other schemes, credentials and over-long URLs', async () => {
    const policy = { allowPrivateUrls: true };
    expect((await checkWebhookUrl('ftp://127.0.0.1/', policy)).ok).toBe(false);
    expect((await checkWebhookUrl('http://a:b@127.0.0.1/', policy)).ok).toBe(false);
    expect((await checkWebhookUrl(`http://127.0.0.1/${'a'.repeat(2048)}`, policy)).ok).toBe(false);
  });
});
