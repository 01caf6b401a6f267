import { sql } from 'drizzle-orm';
import { type Database, type Queryable, queryRows } from '../db/client.ts';

export interface LedgerReport {
  ok: boolean;
  problems: string[];
  /** Figures worth printing whether or not anything is wrong. */
  totals: {
    transactions: number;
    walletBalanceSum: bigint;
    clearingBalance: bigint;
    successfulDeposits: bigint;
    /** Kobo held for withdrawals Paystack has not finished: the `withdrawals:in_flight:<n>` sub-accounts. */
    inFlightBalance: bigint;
    /** Kobo (amount + fee) of withdrawals still `pending`. */
    pendingWithdrawals: bigint;
    /** Kobo (amount + fee) of withdrawals Paystack paid out and did not reverse. */
    withdrawn: bigint;
    /** Kobo wallets owe: minus the sum of the debt (receivable) accounts. */
    debts: bigint;
    /** Kobo of refunds and lost disputes taken back. */
    refunded: bigint;
  };
}

/**
 * Checks every invariant of the ledger in one repeatable-read snapshot, so concurrent postings
 * cannot make a consistent ledger look broken:
 * every transaction has two or more entries summing to zero; every cached balance equals the sum
 * of its entries and the last entry's balance_after; no wallet is below zero; all balances sum to
 * zero; the held (in-flight) account holds exactly what pending withdrawals took; wallets plus
 * held money equal minus the clearing sub-accounts' sum, and equal successful deposits minus what was
 * withdrawn.
 * Each check reports at most 20 offenders.
 */
export async function checkLedger(db: Database): Promise<LedgerReport> {
  return db.transaction(
    async (tx) => {
      const problems = [
        ...(await unbalancedTransactions(tx)),
        ...(await driftedBalances(tx)),
        ...(await runningSumDrift(tx)),
        ...(await negativeWallets(tx)),
      ];
      const { allBalancesSum, ...totals } = await readTotals(tx);
      problems.push(...totalsProblems(totals, allBalancesSum));
      return { ok: problems.length === 0, problems, totals };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** Transactions whose entries do not sum to zero, or that have fewer than two. */
async function unbalancedTransactions(tx: Queryable): Promise<string[]> {
  const rows = await queryRows<{ reference: string; total: string; entries: string }>(
    tx,
    sql`select t.reference, coalesce(sum(e.amount), 0) as total, count(e.id) as entries
          from ledger_transactions t left join ledger_entries e on e.transaction_id = t.id
         group by t.id, t.reference
        having coalesce(sum(e.amount), 0) <> 0 or count(e.id) < 2
         limit 20`,
  );
  return rows.map((row) => `transaction ${row.reference}: ${row.entries} entries summing to ${row.total}`);
}

/** Accounts whose cached balance differs from the sum of their entries or the last balance_after. */
async function driftedBalances(tx: Queryable): Promise<string[]> {
  const rows = await queryRows<{
    id: string;
    balance: string;
    entries_sum: string;
    last_after: string | null;
  }>(
    tx,
    sql`select a.id, a.balance, coalesce(s.total, 0) as entries_sum, s.last_after
          from accounts a
          left join lateral (
            select sum(e.amount) as total,
                   (select balance_after from ledger_entries l where l.account_id = a.id order by l.id desc limit 1) as last_after
              from ledger_entries e where e.account_id = a.id
          ) s on true
         where a.balance <> coalesce(s.total, 0) or a.balance <> coalesce(s.last_after, 0)
         limit 20`,
  );
  return rows.map(
    (row) =>
      `account ${row.id}: cached balance ${row.balance}, entries sum ${row.entries_sum}, last balance_after ${row.last_after ?? 'none'}`,
  );
}

/** Entries whose balance_after is not the running sum of their account's entries up to them. */
async function runningSumDrift(tx: Queryable): Promise<string[]> {
  const rows = await queryRows<{ id: string; account_id: string }>(
    tx,
    sql`select id, account_id from (
          select id, account_id, balance_after,
                 sum(amount) over (partition by account_id order by id) as running
            from ledger_entries) r
         where running <> balance_after
         limit 20`,
  );
  return rows.map(
    (row) => `entry ${row.id} of account ${row.account_id}: balance_after differs from the running sum`,
  );
}

async function negativeWallets(tx: Queryable): Promise<string[]> {
  const rows = await queryRows<{ id: string; balance: string }>(
    tx,
    sql`select id, balance from accounts where kind = 'wallet' and balance < 0 limit 20`,
  );
  return rows.map((row) => `wallet account ${row.id} is negative: ${row.balance}`);
}

async function readTotals(tx: Queryable): Promise<LedgerReport['totals'] & { allBalancesSum: bigint }> {
  const [totals] = await queryRows<{
    transactions: string;
    wallet_sum: string;
    clearing: string;
    in_flight: string;
    all_sum: string;
    deposits: string;
    pending_withdrawals: string;
    withdrawn: string;
    debt_accounts: string;
    refunded: string;
  }>(
    tx,
    sql`select (select count(*) from ledger_transactions) as transactions,
               (select coalesce(sum(balance), 0) from accounts where kind = 'wallet') as wallet_sum,
               (select coalesce(sum(balance), 0) from accounts where system_code like 'paystack:clearing:%') as clearing,
               (select coalesce(sum(balance), 0) from accounts) as all_sum,
               (select coalesce(sum(balance), 0) from accounts where system_code like 'withdrawals:in_flight:%') as in_flight,
               (select coalesce(sum(amount), 0) from deposits where status = 'success') as deposits,
               (select coalesce(sum(amount + fee), 0) from withdrawals where status = 'pending') as pending_withdrawals,
               (select coalesce(sum(amount + fee), 0) from withdrawals where status = 'success') as withdrawn,
               (select coalesce(sum(balance), 0) from accounts where system_code like 'debt:%') as debt_accounts,
               (select coalesce(sum(amount), 0) from refunds where ledger_transaction_id is not null) as refunded`,
  );
  return {
    transactions: Number(totals?.transactions ?? 0),
    walletBalanceSum: BigInt(totals?.wallet_sum ?? 0),
    clearingBalance: BigInt(totals?.clearing ?? 0),
    successfulDeposits: BigInt(totals?.deposits ?? 0),
    inFlightBalance: BigInt(totals?.in_flight ?? 0),
    pendingWithdrawals: BigInt(totals?.pending_withdrawals ?? 0),
    withdrawn: BigInt(totals?.withdrawn ?? 0),
    debts: -BigInt(totals?.debt_accounts ?? 0),
    refunded: BigInt(totals?.refunded ?? 0),
    allBalancesSum: BigInt(totals?.all_sum ?? 0),
  };
}

/**
 * Money is conserved: all balances sum to zero; held money is what pending withdrawals took; no
 * debt account is above zero; and wallets plus held money less debts are what the clearing sub-accounts
 * together owe, and what deposits brought minus what withdrawals and refunds took out.
 */
function totalsProblems(totals: LedgerReport['totals'], allBalancesSum: bigint): string[] {
  const {
    walletBalanceSum,
    clearingBalance,
    successfulDeposits,
    inFlightBalance,
    pendingWithdrawals,
    withdrawn,
    debts,
    refunded,
  } = totals;
  // What customers hold (spendable or held) less what they owe.
  const customerMoney = walletBalanceSum + inFlightBalance - debts;
  const problems: string[] = [];
  if (allBalancesSum !== 0n) problems.push(`all balances sum to ${allBalancesSum}, not 0`);
  if (inFlightBalance !== pendingWithdrawals) {
    problems.push(
      `the in-flight account holds ${inFlightBalance} but pending withdrawals took ${pendingWithdrawals}`,
    );
  }
  if (debts < 0n)
    problems.push(`debt accounts are ${-debts} above zero: the service owes a wallet through one`);
  if (customerMoney !== -clearingBalance) {
    problems.push(
      `wallets (${walletBalanceSum}) and held money (${inFlightBalance}) less debts (${debts}) total ${customerMoney} but the clearing sub-accounts sum to ${clearingBalance}`,
    );
  }
  const expected = successfulDeposits - withdrawn - refunded;
  if (customerMoney !== expected) {
    problems.push(
      `wallets and held money less debts total ${customerMoney} but successful deposits (${successfulDeposits}) minus withdrawals (${withdrawn}) and refunds (${refunded}) are ${expected}`,
    );
  }
  return problems;
}
