import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { type JsonBody, json } from './support/http.ts';
import { fundWallet } from './support/ledger.ts';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('history order and its timestamps', () => {
  // PGlite runs one statement at a time, so the race this guards against needs PostgreSQL; the
  // test still runs on PGlite, where it must hold trivially.
  it('lists newest first with created_at never increasing, after concurrent transfers from one wallet', async () => {
    const sender = await t.createUser();
    const recipients: TestUser[] = [];
    for (let i = 0; i < 5; i++) recipients.push(await t.createUser());
    await fundWallet(t.db, sender.id, 1_000_000);

    const transfers = Array.from({ length: 30 }, (_, i) =>
      fetch(`${t.url}/wallet/transfer`, {
        method: 'POST',
        headers: { ...sender.auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          wallet_number: recipients[i % recipients.length]?.walletNumber,
          amount: 100 + i,
        }),
      }),
    );
    for (const response of await Promise.all(transfers)) expect(response.status).toBe(200);

    const response = await fetch(`${t.url}/wallet/transactions?limit=100`, { headers: sender.auth });
    const items: JsonBody[] = await json(response);
    expect(items).toHaveLength(31);
    const outOfOrder = items.filter(
      (item, index) => index > 0 && Date.parse(item.created_at) > Date.parse(items[index - 1].created_at),
    );
    expect(outOfOrder).toEqual([]);
  });
});
