// `npm run ops -- <command>`: the operator's tool on the configured database (SPEC "Reconciliation,
// refunds and disputes"). Tables go to stdout; every action is logged as JSON lines to stderr.
// Exit codes: 0 done; 1 it could not be done (unknown wallet, database or Paystack unusable);
// 2 a usage error.
import pino from 'pino';
import { reportCliFailure } from '../cli-failure.ts';
import { type Config, loadConfig, loadDotEnv } from '../config.ts';
import type { DatabaseHandle } from '../db/client.ts';
import { openDatabase } from '../db/open.ts';
import { loggerOptions } from '../http/logging.ts';
import { PaystackClient } from '../paystack/client.ts';
import { reconcilerPasses } from '../reconciler/passes.ts';
import { listFlagged, listFrozen, unfreezeWallet } from './operations.ts';
import { formatTable, naira } from './table.ts';

const USAGE = `usage: npm run ops -- <command>
  flagged                   deposits, withdrawals and events flagged for review
  frozen                    frozen wallets with their debt and reason
  unfreeze <wallet_number>  lift a wallet's freeze (its debt stays, and is repaid first)
  reconcile                 one reconciler pass now (needs PAYSTACK_SECRET_KEY)`;

const log = pino(
  { ...(loggerOptions('info') as pino.LoggerOptions), base: { component: 'ops' } },
  pino.destination(2),
);

const COMMANDS = ['flagged', 'frozen', 'unfreeze', 'reconcile'] as const;
type Command = (typeof COMMANDS)[number];
const isCommand = (value: string): value is Command => (COMMANDS as readonly string[]).includes(value);

async function run(database: DatabaseHandle, command: Command, args: readonly string[]): Promise<number> {
  const { db } = database;
  switch (command) {
    case 'flagged': {
      const items = await listFlagged(db);
      console.log(
        items.length === 0
          ? 'Nothing is flagged.'
          : formatTable(
              ['kind', 'reference', 'amount', 'when', 'reason'],
              items.map((item) => [
                item.kind,
                item.reference ?? '-',
                item.amount === null ? '-' : naira(item.amount),
                item.at.toISOString(),
                item.reason,
              ]),
            ),
      );
      return 0;
    }
    case 'frozen': {
      const wallets = await listFrozen(db);
      console.log(
        wallets.length === 0
          ? 'No wallet is frozen.'
          : formatTable(
              ['wallet', 'email', 'balance', 'debt', 'since', 'reason'],
              wallets.map((wallet) => [
                wallet.walletNumber,
                wallet.email,
                naira(wallet.balance),
                naira(wallet.debt),
                wallet.since.toISOString(),
                wallet.reason,
              ]),
            ),
      );
      return 0;
    }
    case 'unfreeze': {
      const [walletNumber] = args;
      if (walletNumber === undefined || !/^[0-9]{13}$/.test(walletNumber) || args.length !== 1) {
        console.error(`unfreeze takes one 13-digit wallet number\n${USAGE}`);
        return 2;
      }
      const outcome = await unfreezeWallet(db, walletNumber);
      if (outcome.result === 'not_found') {
        console.error(`No wallet has the number ${walletNumber}.`);
        return 1;
      }
      if (outcome.result === 'not_frozen') {
        console.log(`Wallet ${walletNumber} is not frozen; nothing changed.`);
        return 0;
      }
      log.warn(
        { wallet: walletNumber, reason: outcome.reason, debt: String(outcome.debt) },
        'operator unfroze a wallet',
      );
      console.log(
        `Wallet ${walletNumber} unfrozen (it was: ${outcome.reason}).` +
          (outcome.debt > 0n
            ? ` It still owes ${naira(outcome.debt)}, repaid first from what it receives.`
            : ''),
      );
      return 0;
    }
    case 'reconcile':
      return reconcileNow(database);
  }
}

async function reconcileNow(database: DatabaseHandle): Promise<number> {
  const config = loadConfig();
  const { secretKey, baseUrl } = config.paystack;
  if (secretKey === undefined) {
    console.error(
      'reconcile needs PAYSTACK_SECRET_KEY: without it the Paystack simulator lives inside the running ' +
        'service, whose own reconciler runs every RECONCILE_INTERVAL.',
    );
    return 1;
  }
  const { intervalMs, minAgeMs } = config.reconcile;
  const passes = reconcilerPasses({
    db: database.db,
    paystack: new PaystackClient({ secretKey, baseUrl }),
    minAgeMs,
    intervalMs,
    log,
  });
  log.info({}, 'operator started a reconciler pass');
  const rows: string[][] = [];
  for (const pass of passes) {
    const report = (await pass.run()) as Record<string, unknown>;
    log.info({ pass: pass.name, report }, 'reconciler pass done');
    rows.push([pass.name, ...Object.entries(report).map(([name, value]) => `${name} ${String(value)}`)]);
  }
  console.log(rows.map((row) => row.join('  ')).join('\n'));
  return 0;
}

loadDotEnv();
const [command = '', ...args] = process.argv.slice(2);
if (!isCommand(command)) {
  console.error(`${command ? `unknown command "${command}"\n` : ''}${USAGE}`);
  process.exit(2);
}
let config: Config | undefined;
let database: DatabaseHandle | undefined;
try {
  config = loadConfig();
  database = await openDatabase(config);
  process.exitCode = await run(database, command, args);
} catch (error) {
  reportCliFailure(`ops ${command}`, error, config);
} finally {
  await database?.close();
}
