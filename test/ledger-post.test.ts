import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseErrorCode, queryRows } from '../src/db/client.ts';
import { deposits } from '../src/db/schema.ts';
import { creditDeposit } from '../src/ledger/deposits.ts';
import { newReference } from '../src/ledger/reference.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { fundWallet } from './support/ledger.ts';

// The database functions every movement goes through, called directly: the API cannot send the
// malformed postings these guard against, so only here are those refusals exercised.

let t: TestApp;
let walletA: bigint;
let walletB: bigint;
let walletC: bigint;
let users: TestUser[];

async function accountOf(walletNumber: string): Promise<bigint> {
  const [row] = await queryRows<{ account_id: string }>(
    t.db,
    sql`select account_id from wallets where wallet_number = ${walletNumber}`,
  );
  if (!row) throw new Error(`no wallet ${walletNumber}`);
  return BigInt(row.account_id);
}

async function balances(): Promise<bigint[]> {
  const rows = await queryRows<{ balance: string }>(
    t.db,
    sql`select balance from accounts where id in (${walletA}, ${walletB}, ${walletC}) order by id`,
  );
  return rows.map((row) => BigInt(row.balance));
}

async function ledgerPostError(accounts: string, amounts: string): Promise<string | undefined> {
  try {
    await t.db.execute(
      sql`select * from ledger_post(${newReference('trf')}, 'transfer', ${sql.raw(accounts)}, ${sql.raw(amounts)})`,
    );
    return undefined;
  } catch (error) {
    return databaseErrorCode(error);
  }
}

beforeAll(async () => {
  t = await startTestApp();
  users = [await t.createUser(), await t.createUser(), await t.createUser()];
  const [a, b, c] = users as [TestUser, TestUser, TestUser];
  await fundWallet(t.db, a.id, 10_000);
  // Numbered so that account ids and argument order disagree in the tests below.
  [walletA, walletB, walletC] = [
    await accountOf(a.walletNumber),
    await accountOf(b.walletNumber),
    await accountOf(c.walletNumber),
  ];
});
afterAll(() => t.close());

describe('ledger_post', () => {
  it.each([
    ['one posting', 'array[$A]::bigint[]', 'array[-5]::bigint[]'],
    ['no postings', "'{}'::bigint[]", "'{}'::bigint[]"],
    ['more accounts than amounts', 'array[$A, $B]::bigint[]', 'array[-5]::bigint[]'],
    ['a zero amount', 'array[$A, $B]::bigint[]', 'array[0, 0]::bigint[]'],
    ['a null amount', 'array[$A, $B]::bigint[]', 'array[-5, null]::bigint[]'],
    ['a null account', 'array[$A, null]::bigint[]', 'array[-5, 5]::bigint[]'],
    ['the same account twice', 'array[$A, $B, $A]::bigint[]', 'array[-5, 3, 2]::bigint[]'],
    ['amounts not summing to zero', 'array[$A, $B]::bigint[]', 'array[-5, 4]::bigint[]'],
    [
      'arrays not numbered from 1',
      "('[0:1]={' || $A || ',' || $B || '}')::bigint[]",
      "'[0:1]={-5,5}'::bigint[]",
    ],
  ])('refuses %s with WL002 and changes nothing', async (_label, accounts, amounts) => {
    const before = await balances();
    const fill = (text: string) => text.replaceAll('$A', String(walletA)).replaceAll('$B', String(walletB));
    expect(await ledgerPostError(fill(accounts), fill(amounts))).toBe('WL002');
    expect(await balances()).toEqual(before);
  });

  it('refuses a debit beyond the balance with WL001 and changes nothing', async () => {
    const before = await balances();
    expect(await ledgerPostError(`array[${walletB}, ${walletA}]`, 'array[-1, 1]::bigint[]')).toBe('WL001');
    expect(await balances()).toEqual(before);
  });

  it('posts three entries in account id order, whatever the order given', async () => {
    const reference = newReference('trf');
    const rows = await queryRows<{ account_id: string; balance_after: string }>(
      t.db,
      sql`select account_id, balance_after from ledger_post(${reference}, 'transfer',
            array[${walletC}, ${walletA}, ${walletB}]::bigint[], array[300, -1000, 700]::bigint[])`,
    );
    expect(rows.map((row) => BigInt(row.account_id))).toEqual([walletA, walletB, walletC]);
    const entries = await queryRows<{ account_id: string; amount: string }>(
      t.db,
      sql`select e.account_id, e.amount from ledger_entries e
            join ledger_transactions x on x.id = e.transaction_id
           where x.reference = ${reference} order by e.id`,
    );
    // Entry ids follow the locking order, which history pagination relies on.
    expect(entries.map((entry) => [BigInt(entry.account_id), BigInt(entry.amount)])).toEqual([
      [walletA, -1000n],
      [walletB, 700n],
      [walletC, 300n],
    ]);
  });
});

describe('deposit_credit', () => {
  it('refuses a deposit that was not claimed, and one credited already, with WL006', async () => {
    const user = await t.createUser();
    const [pending] = await t.db
      .insert(deposits)
      .values({ userId: user.id, reference: newReference('dep'), amount: 500n, status: 'pending' })
      .returning({ id: deposits.id });
    if (!pending) throw new Error('no deposit row');
    await expect(creditDeposit(t.db, pending.id)).rejects.toSatisfy(
      (error: unknown) => databaseErrorCode(error) === 'WL006',
    );

    await t.db.update(deposits).set({ status: 'success' }).where(sql`${deposits.id} = ${pending.id}`);
    const credited = await creditDeposit(t.db, pending.id);
    expect(credited.transactionId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(creditDeposit(t.db, pending.id)).rejects.toSatisfy(
      (error: unknown) => databaseErrorCode(error) === 'WL006',
    );
  });
});

describe('wallet_transfer', () => {
  it.each([
    ['a negative amount, which would pull money from the recipient', -500],
    ['a zero amount', 0],
  ])('refuses %s with WL002 and changes nothing', async (_label, amount) => {
    const [funded, empty] = users as [TestUser, TestUser];
    const before = await balances();
    const refusal = await t.db
      .execute(
        sql`select * from wallet_transfer(${empty.id}, ${funded.walletNumber}, ${amount}, ${newReference('trf')})`,
      )
      .then(
        () => undefined,
        (error: unknown) => databaseErrorCode(error),
      );
    expect(refusal).toBe('WL002');
    expect(await balances()).toEqual(before);
  });
});
