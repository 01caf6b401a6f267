// After the load: no money was created or lost. Wallets hold exactly the successful deposits less
// what withdrawals paid out or still hold, and every ledger invariant (`npm run ledger:check`) holds.
import pg from 'pg';
import { openPostgres } from '../src/db/client.ts';
import { checkLedger, type LedgerReport } from '../src/ledger/check.ts';

export interface MoneyReport {
  walletSumKobo: bigint;
  depositSumKobo: bigint;
  credited: string;
  transfers: string;
  ledger: LedgerReport;
  /** Wallets hold the successful deposits and the ledger is sound. */
  ok: boolean;
}

async function scalar(databaseUrl: string, statement: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const result = await client.query<{ value: string }>(statement);
    return String(result.rows[0]?.value ?? '');
  } finally {
    await client.end();
  }
}

/** Sums and counts from the service's database, and the ledger's invariant check over it. */
export async function checkMoney(walletDbUrl: string): Promise<MoneyReport> {
  const walletSumKobo = BigInt(
    await scalar(
      walletDbUrl,
      `select coalesce(sum(balance), 0) as value from accounts where kind = 'wallet'`,
    ),
  );
  const depositSumKobo = BigInt(
    await scalar(
      walletDbUrl,
      `select coalesce(sum(amount), 0) as value from deposits where status = 'success'`,
    ),
  );
  const credited = await scalar(
    walletDbUrl,
    `select count(*) as value from deposits where status = 'success'`,
  );
  const transfers = await scalar(
    walletDbUrl,
    `select count(*) as value from ledger_transactions where kind = 'transfer'`,
  );
  const database = await openPostgres(walletDbUrl);
  let ledger: LedgerReport;
  try {
    ledger = await checkLedger(database.db);
  } finally {
    await database.close();
  }
  const expected = depositSumKobo - ledger.totals.withdrawn - ledger.totals.inFlightBalance;
  const ok = walletSumKobo === expected && ledger.ok;
  return { walletSumKobo, depositSumKobo, credited, transfers, ledger, ok };
}

export function printMoney(money: MoneyReport): void {
  const { walletSumKobo, depositSumKobo, credited, transfers, ledger } = money;
  const { withdrawn, inFlightBalance } = ledger.totals;
  const conserved = walletSumKobo === depositSumKobo - withdrawn - inFlightBalance;
  console.log(
    `money: wallets hold ${walletSumKobo} kobo; successful deposits ${depositSumKobo} kobo (${credited} credited) ` +
      `less ${withdrawn} paid out and ${inFlightBalance} held by withdrawals; ` +
      `${transfers} transfers posted: ${conserved ? 'conserved' : 'NOT CONSERVED'}`,
  );
  console.log(
    `ledger: ${ledger.totals.transactions} transactions, clearing ${ledger.totals.clearingBalance}: ` +
      (ledger.ok ? 'every invariant holds' : 'BROKEN'),
  );
  for (const problem of ledger.problems) console.log(`ledger: BROKEN: ${problem}`);
}
