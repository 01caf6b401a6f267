import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { onPostgres } from './support/database.ts';
import { expectProblem, type JsonBody, json } from './support/http.ts';
import { fundWallet } from './support/ledger.ts';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.createUser();
  bob = await t.createUser();
  await fundWallet(t.db, alice.id, 1_000_000);
});
afterAll(() => t.close());

async function send(from: TestUser, to: TestUser, amount: number) {
  const response = await fetch(`${t.url}/wallet/transfer`, {
    method: 'POST',
    headers: { ...from.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ wallet_number: to.walletNumber, amount }),
  });
  expect(response.status).toBe(200);
  return json(response);
}

function history(user: TestUser, query = '') {
  return fetch(`${t.url}/wallet/transactions${query}`, { headers: user.auth });
}

function nextLink(response: Response): string | undefined {
  const link = response.headers.get('link');
  if (!link) return undefined;
  const match = /^<([^>]+)>; rel="next"$/.exec(link);
  expect(match).not.toBeNull();
  return match?.[1];
}

describe('GET /wallet/transactions', () => {
  it('lists deposits and transfers newest first, from each side', async () => {
    const sent = await send(alice, bob, 2_500);
    const aliceItems = await json(await history(alice));
    expect(aliceItems[0]).toEqual({
      id: expect.any(String),
      reference: sent.reference,
      type: 'transfer',
      direction: 'debit',
      amount: 2_500,
      status: 'success',
      counterparty_wallet_number: bob.walletNumber,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(aliceItems[1]).toMatchObject({
      type: 'deposit',
      direction: 'credit',
      amount: 1_000_000,
      counterparty_wallet_number: null,
    });
    const [bobItem] = await json(await history(bob));
    expect(bobItem).toMatchObject({
      id: aliceItems[0].id,
      reference: sent.reference,
      direction: 'credit',
      amount: 2_500,
      counterparty_wallet_number: alice.walletNumber,
    });
  });

  it('returns an empty list and no Link for a wallet without movements', async () => {
    const carol = await t.createUser();
    const response = await history(carol);
    expect(await json(response)).toEqual([]);
    expect(response.headers.get('link')).toBeNull();
  });

  it('pages without overlap or gaps while new movements arrive between pages', async () => {
    const dave = await t.createUser();
    await fundWallet(t.db, dave.id, 100_000);
    for (let i = 1; i <= 24; i++) await send(dave, i % 2 ? alice : bob, i);

    const snapshot: JsonBody[] = await json(await history(dave, '?limit=100'));
    expect(snapshot).toHaveLength(25);

    const seen: JsonBody[] = [];
    let path: string | undefined = '/wallet/transactions?limit=7';
    let pages = 0;
    while (path) {
      const response = await fetch(`${t.url}${path}`, { headers: dave.auth });
      expect(response.status).toBe(200);
      const page: JsonBody[] = await json(response);
      expect(page.length).toBeLessThanOrEqual(7);
      seen.push(...page);
      path = nextLink(response);
      pages++;
      // Movements in both directions land between page reads; they are newer than the first
      // page and must not shift what the later pages return.
      await send(dave, alice, 1);
      await send(bob, dave, 1);
    }
    expect(pages).toBe(4);
    expect(seen.map((item) => item.id)).toEqual(snapshot.map((item) => item.id));
  });

  it('defaults to 20 items and accepts limits from 1 to 100', async () => {
    const erin = await t.createUser();
    await fundWallet(t.db, erin.id, 10_000);
    for (let i = 0; i < 21; i++) await send(erin, alice, 1);
    expect(await json(await history(erin))).toHaveLength(20);
    expect(await json(await history(erin, '?limit=1'))).toHaveLength(1);
    expect(await json(await history(erin, '?limit=100'))).toHaveLength(22);
  });

  it.each(['0', '101', '-1', '1.5', 'ten', ''])('refuses limit=%s', async (limit) => {
    await expectProblem(await history(alice, `?limit=${limit}`), 400, 'validation_failed');
  });

  it('refuses a cursor it did not issue', async () => {
    await expectProblem(await history(alice, '?cursor=bm9wZQ'), 400, 'invalid_cursor');
    await expectProblem(await history(alice, '?cursor=%00%01'), 400, 'validation_failed');
  });

  it('refuses unknown query parameters', async () => {
    await expectProblem(await history(alice, '?offset=20'), 400, 'validation_failed');
  });

  it('shows a user only their own movements', async () => {
    const frank = await t.createUser();
    expect(await json(await history(frank))).toEqual([]);
  });
});

describe.skipIf(!onPostgres)('the history query on PostgreSQL', () => {
  it('walks the (account_id, id desc) index in its order: a page never sorts the whole history', async () => {
    // The statement the page sends, as node-postgres receives it.
    const original = pg.Client.prototype.query;
    let history: { text: string; values: unknown[] } | undefined;
    pg.Client.prototype.query = function captured(this: pg.Client, ...args: unknown[]) {
      const [query, values] = args as [unknown, unknown];
      const text = typeof query === 'string' ? query : String((query as { text?: string }).text ?? '');
      if (text.includes('counterparty_wallet_number')) history = { text, values: values as unknown[] };
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      await fetch(`${t.url}/wallet/transactions?limit=2`, { headers: alice.auth });
    } finally {
      pg.Client.prototype.query = original;
    }
    expect(history).toBeDefined();
    // With sorting priced out, a plan without a Sort node exists only if the index gives the order.
    const client = new pg.Client({ connectionString: t.database.url });
    await client.connect();
    try {
      await client.query('set enable_sort = off');
      const { rows } = await client.query(`explain (format json) ${history?.text}`, history?.values);
      const plan = JSON.stringify(rows[0]);
      expect(plan).not.toContain('"Node Type":"Sort"');
      expect(plan).toContain('ledger_entries_account_id_id_idx');
    } finally {
      await client.end();
    }
  });
});
