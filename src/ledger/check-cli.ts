import { loadConfig, loadDotEnv } from '../config.ts';
import { openDatabase } from '../db/open.ts';
import { checkLedger } from './check.ts';

loadDotEnv();
const database = await openDatabase(loadConfig());
try {
  const report = await checkLedger(database.db);
  const t = report.totals;
  console.log(
    `ledger: ${t.transactions} transactions; wallets hold ${t.walletBalanceSum} kobo; held for withdrawals ` +
      `${t.inFlightBalance}; wallets owe ${t.debts}; clearing ${t.clearingBalance}; successful deposits ` +
      `${t.successfulDeposits}; withdrawn ${t.withdrawn}; refunded ${t.refunded}`,
  );
  if (report.ok) {
    console.log('ledger: every invariant holds');
  } else {
    for (const problem of report.problems) console.error(`ledger: BROKEN: ${problem}`);
    process.exitCode = 1;
  }
} finally {
  await database.close();
}
