import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../src/app.ts';
import { queryRows } from '../src/db/client.ts';
import { rotateSecret } from '../src/notifications/endpoints.ts';
import type { ResolvedAddress } from '../src/notifications/url-guard.ts';
import { createKeyAt, keyAuth, sendTo } from './support/api-keys.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { expectProblem, type JsonBody, json } from './support/http.ts';
import { waitFor } from './support/wait.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

/** Answers every request with 200 and keeps what it received. */
interface Receiver {
  url: string;
  received: { headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString() });
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let t: TestApp;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
  await receiver.close();
});

const send = (user: TestUser, method: string, path: string, body?: unknown) =>
  sendTo(t.url, method, path, user.auth, body);

async function createEndpoint(user: TestUser, body: Record<string, unknown> = {}): Promise<JsonBody> {
  const response = await send(user, 'POST', '/webhooks', { url: receiver.url, ...body });
  expect(response.status, await response.clone().text()).toBe(201);
  return json(response);
}

describe('POST /webhooks', () => {
  it('registers an endpoint for every event type, showing its secret this once', async () => {
    const user = await t.createUser();
    const response = await send(user, 'POST', '/webhooks', { url: receiver.url });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const created = await json(response);
    expect(created).toEqual({
      id: expect.stringMatching(UUID),
      url: receiver.url,
      events: null,
      secret: expect.stringMatching(SECRET),
      status: 'enabled',
      created_at: expect.any(String),
    });
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(Math.abs(Date.parse(created.created_at) - Date.now())).toBeLessThan(60_000);

    const listed = await json(await send(user, 'GET', '/webhooks'));
    expect(listed).toEqual([
      {
        id: created.id,
        url: receiver.url,
        events: null,
        status: 'enabled',
        disabled_reason: null,
        created_at: created.created_at,
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
  });

  it('takes a subset of the event types, kept in the catalogue’s order, and a new secret each time', async () => {
    const user = await t.createUser();
    const first = await createEndpoint(user, { events: ['wallet.frozen', 'deposit.succeeded'] });
    const second = await createEndpoint(user, { events: ['transfer.received'] });
    expect(first.events).toEqual(['deposit.succeeded', 'wallet.frozen']);
    expect(second.events).toEqual(['transfer.received']);
    expect(first.secret).not.toBe(second.secret);
    const listed = await json(await send(user, 'GET', '/webhooks'));
    expect(listed.map((endpoint: JsonBody) => endpoint.id)).toEqual([first.id, second.id]);
  });

  it('refuses an empty, repeated or unknown event list, and webhook.test, which is never subscribed to', async () => {
    const user = await t.createUser();
    for (const events of [
      [],
      ['transfer.sent', 'transfer.sent'],
      ['transfer.lost'],
      ['webhook.test'],
      'all',
    ]) {
      await expectProblem(
        await send(user, 'POST', '/webhooks', { url: receiver.url, events }),
        400,
        'validation_failed',
      );
    }
    await expectProblem(
      await send(user, 'POST', '/webhooks', { url: receiver.url, extra: 1 }),
      400,
      'validation_failed',
    );
    await expectProblem(await send(user, 'POST', '/webhooks', {}), 400, 'validation_failed');
    expect(await json(await send(user, 'GET', '/webhooks'))).toEqual([]);
  });

  it.each([
    ['ftp://127.0.0.1/hooks', /must start with https:\/\/ or http:\/\//],
    ['127.0.0.1/hooks', /not an absolute URL/],
    ['http://user:secret@127.0.0.1/hooks', /user name or password/],
    [`http://127.0.0.1/${'a'.repeat(2048)}`, /longer than 2048 characters/],
  ])('refuses the URL %s with 400 invalid_webhook_url', async (url, reason) => {
    const user = await t.createUser();
    const problem = await expectProblem(
      await send(user, 'POST', '/webhooks', { url }),
      400,
      'invalid_webhook_url',
    );
    expect(problem.detail).toMatch(reason);
  });

  it('allows at most 10 endpoints per user; a deleted one frees its place', async () => {
    const user = await t.createUser();
    const created = await Promise.all(Array.from({ length: 10 }, () => createEndpoint(user)));
    const problem = await expectProblem(
      await send(user, 'POST', '/webhooks', { url: receiver.url }),
      409,
      'webhook_endpoint_limit_reached',
    );
    expect(problem.limit).toBe(10);
    // Another user's endpoints do not count.
    await createEndpoint(await t.createUser());
    expect((await send(user, 'DELETE', `/webhooks/${created[3].id}`)).status).toBe(204);
    await createEndpoint(user);
    await expectProblem(
      await send(user, 'POST', '/webhooks', { url: receiver.url }),
      409,
      'webhook_endpoint_limit_reached',
    );
  });

  it('holds the limit when eleven creations race', async () => {
    const user = await t.createUser();
    const responses = await Promise.all(
      Array.from({ length: 11 }, () => send(user, 'POST', '/webhooks', { url: receiver.url })),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([...Array(10).fill(201), 409]);
  });

  it('is for signed-in users only: an API key is refused', async () => {
    const user = await t.createUser();
    const key = (await createKeyAt(t.url, user, { permissions: ['read', 'transfer', 'deposit', 'withdraw'] }))
      .api_key;
    for (const [method, path] of [
      ['POST', '/webhooks'],
      ['GET', '/webhooks'],
      ['DELETE', `/webhooks/${randomUuid()}`],
      ['POST', `/webhooks/${randomUuid()}/rotate-secret`],
      ['GET', `/webhooks/${randomUuid()}/deliveries`],
      ['POST', `/webhooks/${randomUuid()}/test`],
    ] as const) {
      const body = method === 'POST' && path === '/webhooks' ? { url: receiver.url } : undefined;
      await expectProblem(await sendTo(t.url, method, path, keyAuth(key), body), 403, 'permission_denied');
      await expectProblem(await sendTo(t.url, method, path, {}, body), 401, 'unauthenticated');
    }
  });
});

function randomUuid(): string {
  return crypto.randomUUID();
}

describe('DELETE /webhooks/{id} and another user’s endpoints', () => {
  it('deletes the endpoint: gone from the list, a second delete is 404', async () => {
    const user = await t.createUser();
    const kept = await createEndpoint(user);
    const deleted = await createEndpoint(user);
    const response = await send(user, 'DELETE', `/webhooks/${deleted.id}`);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(
      (await json(await send(user, 'GET', '/webhooks'))).map((endpoint: JsonBody) => endpoint.id),
    ).toEqual([kept.id]);
    await expectProblem(
      await send(user, 'DELETE', `/webhooks/${deleted.id}`),
      404,
      'webhook_endpoint_not_found',
    );
    await expectProblem(
      await send(user, 'POST', `/webhooks/${deleted.id}/rotate-secret`),
      404,
      'webhook_endpoint_not_found',
    );
    await expectProblem(
      await send(user, 'POST', `/webhooks/${deleted.id}/test`),
      404,
      'webhook_endpoint_not_found',
    );
    // Its deliveries stay readable.
    expect((await send(user, 'GET', `/webhooks/${deleted.id}/deliveries`)).status).toBe(200);
  });

  it('answers 404 for another user’s endpoint on every operation, and changes nothing', async () => {
    const owner = await t.createUser();
    const mallory = await t.createUser();
    const endpoint = await createEndpoint(owner);
    for (const [method, path] of [
      ['DELETE', `/webhooks/${endpoint.id}`],
      ['POST', `/webhooks/${endpoint.id}/rotate-secret`],
      ['GET', `/webhooks/${endpoint.id}/deliveries`],
      ['POST', `/webhooks/${endpoint.id}/test`],
      ['DELETE', `/webhooks/${randomUuid()}`],
    ] as const) {
      const problem = await expectProblem(
        await send(mallory, method, path),
        404,
        'webhook_endpoint_not_found',
      );
      expect(problem.detail).toBe('You have no webhook endpoint with this id');
    }
    expect(await json(await send(mallory, 'GET', '/webhooks'))).toEqual([]);
    const [stored] = await queryRows<{ deleted: boolean; secret: string; previous: string | null }>(
      t.db,
      sql`select deleted_at is not null as deleted, secret, previous_secret as previous
            from webhook_endpoints where id = ${endpoint.id}`,
    );
    expect(stored).toEqual({ deleted: false, secret: endpoint.secret, previous: null });
    expect(receiver.received.some((hit) => hit.body.includes(endpoint.id))).toBe(false);
  });

  it('refuses an id that is not a UUID with 400', async () => {
    const user = await t.createUser();
    await expectProblem(await send(user, 'DELETE', '/webhooks/urn:uuid:1'), 400, 'validation_failed');
  });
});

describe('POST /webhooks/{id}/rotate-secret', () => {
  it('returns a new secret and keeps the old one as the previous for 24 hours', async () => {
    const user = await t.createUser();
    const endpoint = await createEndpoint(user);
    const response = await send(user, 'POST', `/webhooks/${endpoint.id}/rotate-secret`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { secret } = await json(response);
    expect(secret).toMatch(SECRET);
    expect(secret).not.toBe(endpoint.secret);
    const [stored] = await queryRows<{ secret: string; previous: string; hours: number }>(
      t.db,
      sql`select secret, previous_secret as previous,
                 round(extract(epoch from previous_secret_expires_at - now()) / 3600)::int as hours
            from webhook_endpoints where id = ${endpoint.id}`,
    );
    expect(stored).toEqual({ secret, previous: endpoint.secret, hours: 24 });
  });

  it('keeps the new secret out of the error when storing it fails, so no log can show it', async () => {
    const user = await t.createUser();
    const endpoint = await createEndpoint(user);
    await t.db.execute(
      sql`create function refuse_rotation() returns trigger language plpgsql
            as $$ begin raise exception 'rotation refused by the test'; end $$`,
    );
    await t.db.execute(
      sql.raw(`create trigger refuse_rotation before update on webhook_endpoints for each row
                 when (old.id = '${endpoint.id}') execute function refuse_rotation()`),
    );
    try {
      const error = await rotateSecret(t.db, { userId: user.id, endpointId: endpoint.id }).then(
        () => undefined,
        (refusal: unknown) => refusal,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/rotation refused by the test/);
      expect(inspect(error, { depth: 10 })).not.toMatch(/whsec_/);
    } finally {
      await t.db.execute(sql`drop trigger refuse_rotation on webhook_endpoints`);
      await t.db.execute(sql`drop function refuse_rotation()`);
    }
  });
});

describe('GET /webhooks/{id}/deliveries', () => {
  it('pages the deliveries newest first with a Link to the next page', async () => {
    const user = await t.createUser();
    const endpoint = await createEndpoint(user);
    await t.db.execute(
      sql`select outbox_emit(${user.id}::uuid, 'transfer.received', jsonb_build_object('n', n))
            from generate_series(1, 25) n`,
    );
    await waitFor(async () => {
      const [row] = await queryRows<{ delivered: number }>(
        t.db,
        sql`select count(*)::int as delivered from webhook_deliveries
             where endpoint_id = ${endpoint.id} and status = 'delivered'`,
      );
      return row?.delivered === 25;
    });

    const seen: JsonBody[] = [];
    let path: string | undefined = `/webhooks/${endpoint.id}/deliveries?limit=10`;
    const pageSizes: number[] = [];
    while (path !== undefined) {
      const response = await send(user, 'GET', path);
      expect(response.status).toBe(200);
      const page = await json(response);
      pageSizes.push(page.length);
      seen.push(...page);
      path = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1];
    }
    expect(pageSizes).toEqual([10, 10, 5]);
    expect(new Set(seen.map((delivery) => delivery.id)).size).toBe(25);
    for (const delivery of seen) {
      expect(delivery).toEqual({
        id: expect.stringMatching(/^msg_[0-9a-f-]{36}$/),
        event_id: expect.stringMatching(UUID),
        type: 'transfer.received',
        attempt: 1,
        status: 'delivered',
        response_status: 200,
        last_error: null,
        next_attempt_at: null,
        created_at: expect.any(String),
      });
    }
    const order = seen.map((delivery) => Date.parse(delivery.created_at));
    expect(order).toEqual([...order].sort((a, b) => b - a));
    const ids = new Set(receiver.received.map((hit) => hit.headers['webhook-id']));
    expect(seen.every((delivery) => ids.has(delivery.id))).toBe(true);
    expect((await json(await send(user, 'GET', `/webhooks/${endpoint.id}/deliveries`))).length).toBe(20);
  });

  it('refuses a cursor it did not issue, and a limit outside 1 to 100', async () => {
    const user = await t.createUser();
    const endpoint = await createEndpoint(user);
    await expectProblem(
      await send(
        user,
        'GET',
        `/webhooks/${endpoint.id}/deliveries?cursor=${Buffer.from('e:12').toString('base64url')}`,
      ),
      400,
      'invalid_cursor',
    );
    for (const limit of ['0', '101', 'ten']) {
      await expectProblem(
        await send(user, 'GET', `/webhooks/${endpoint.id}/deliveries?limit=${limit}`),
        400,
        'validation_failed',
      );
    }
  });
});

describe('POST /webhooks/{id}/test', () => {
  it('queues at most 5 test events per endpoint while they wait', async () => {
    const user = await t.createUser();
    // Nothing listens on port 9: each first attempt fails, and the retry is 5 s away.
    const response = await send(user, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/hooks' });
    const endpoint = await json(response);
    for (let test = 0; test < 5; test++) {
      const accepted = await send(user, 'POST', `/webhooks/${endpoint.id}/test`);
      expect(accepted.status).toBe(202);
      expect(await json(accepted)).toEqual({ delivery_id: expect.stringMatching(/^msg_/) });
    }
    const problem = await expectProblem(
      await send(user, 'POST', `/webhooks/${endpoint.id}/test`),
      409,
      'too_many_pending_webhook_tests',
    );
    expect(problem.limit).toBe(5);
  });
});

describe('URL rules in production (WEBHOOK_ALLOW_PRIVATE_URLS unset)', () => {
  let production: TestApp;
  /** What the injected resolver answers for each host; a test may change it. */
  const dns: Record<string, string[]> = {};
  const resolved = (host: string): ResolvedAddress[] => {
    const addresses = dns[host];
    if (addresses === undefined) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  // startTestApp hands its `deps` to buildApp whole, so the resolver reaches the app through it.
  const deps: Pick<AppDeps, 'paystack' | 'webhooks'> = {
    paystack: {},
    webhooks: { resolve: async (host) => resolved(host), pollIntervalMs: 20 },
  };

  beforeAll(async () => {
    production = await startTestApp({
      env: {
        NODE_ENV: 'production',
        JWT_SECRET: randomBytes(32).toString('base64'),
        GOOGLE_CLIENT_ID: 'client.apps.googleusercontent.com',
        GOOGLE_CLIENT_SECRET: 'google-secret',
        GOOGLE_REDIRECT_URI: 'https://wallet.example.com/auth/google/callback',
        PAYSTACK_SECRET_KEY: `sk_test_${'w'.repeat(40)}`,
        PAYSTACK_BASE_URL: 'http://127.0.0.1:9',
        WEBHOOK_RETRY_SCHEDULE: '1s',
      },
      deps,
    });
  });
  afterAll(() => production.close());

  it('runs with private URLs refused', () => {
    expect(production.config.webhooks.allowPrivateUrls).toBe(false);
  });

  it.each([
    ['http://hooks.example.com/wallet', /must start with https:\/\//],
    ['https://127.0.0.1/hooks', /127\.0\.0\.1 is a loopback address/],
    ['https://10.0.0.1/hooks', /10\.0\.0\.1 is a private address/],
    ['https://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a cloud metadata address/],
    ['https://[::1]/hooks', /::1 is a loopback address/],
    [
      'https://internal.example.com/hooks',
      /internal\.example\.com resolves to 10\.9\.8\.7, a private address/,
    ],
    ['https://unknown.example.com/hooks', /could not be resolved/],
  ])('refuses %s with 400 invalid_webhook_url', async (url, reason) => {
    dns['internal.example.com'] = ['10.9.8.7'];
    const user = await production.createUser();
    const problem = await expectProblem(
      await sendTo(production.url, 'POST', '/webhooks', user.auth, { url }),
      400,
      'invalid_webhook_url',
    );
    expect(problem.detail).toMatch(reason);
  });

  it('checks the URL again before each send: a host that turned private is a failed attempt, and nothing is sent', async () => {
    dns['rebind.example.com'] = ['93.184.215.14'];
    const user = await production.createUser();
    const response = await sendTo(production.url, 'POST', '/webhooks', user.auth, {
      url: 'https://rebind.example.com/hooks',
    });
    expect(response.status).toBe(201);
    const endpoint = await json(response);
    dns['rebind.example.com'] = ['93.184.215.14', '127.0.0.1'];
    expect((await sendTo(production.url, 'POST', `/webhooks/${endpoint.id}/test`, user.auth)).status).toBe(
      202,
    );
    let deliveries: JsonBody[] = [];
    await waitFor(async () => {
      deliveries = await json(
        await sendTo(production.url, 'GET', `/webhooks/${endpoint.id}/deliveries`, user.auth),
      );
      return deliveries[0]?.status === 'failed';
    });
    expect(deliveries[0]).toMatchObject({
      type: 'webhook.test',
      attempt: 2,
      status: 'failed',
      response_status: null,
      last_error:
        'URL refused: rebind.example.com resolves to 127.0.0.1, a loopback address, not a public one',
      next_attempt_at: null,
    });
  });
});
