import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
});

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  googleSub: text('google_sub').notNull().unique(),
  email: text('email').notNull(),
  name: text('name'),
  createdAt: createdAt(),
});

/**
 * Ledger accounts: one per wallet, plus system accounts such as `paystack:clearing`. The balance
 * is a cache of the account's entries, kept in step inside the posting transaction; only system
 * accounts may go below zero.
 */
export const accounts = pgTable(
  'accounts',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    kind: text('kind', { enum: ['wallet', 'system'] }).notNull(),
    /** Stable name of a system account; null for wallets. */
    systemCode: text('system_code').unique(),
    balance: bigint('balance', { mode: 'bigint' }).notNull().default(sql`0`),
    createdAt: createdAt(),
  },
  (t) => [
    check('accounts_kind_check', sql`${t.kind} in ('wallet', 'system')`),
    check('accounts_wallet_balance_non_negative', sql`${t.kind} = 'system' or ${t.balance} >= 0`),
    check(
      'accounts_system_code_only_for_system',
      sql`(${t.kind} = 'system') = (${t.systemCode} is not null)`,
    ),
  ],
);

export const wallets = pgTable(
  'wallets',
  {
    accountId: bigint('account_id', { mode: 'bigint' })
      .primaryKey()
      .references(() => accounts.id),
    userId: uuid('user_id')
      .notNull()
      .unique()
      .references(() => users.id),
    walletNumber: text('wallet_number').notNull().unique(),
    createdAt: createdAt(),
  },
  (t) => [check('wallets_wallet_number_format', sql`${t.walletNumber} ~ '^[0-9]{13}$'`)],
);

export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    reference: text('reference').notNull().unique(),
    kind: text('kind', { enum: ['deposit', 'transfer'] }).notNull(),
    status: text('status', { enum: ['posted'] })
      .notNull()
      .default('posted'),
    createdAt: createdAt(),
  },
  (t) => [
    check('ledger_transactions_kind_check', sql`${t.kind} in ('deposit', 'transfer')`),
    check('ledger_transactions_status_check', sql`${t.status} in ('posted')`),
  ],
);

export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    transactionId: uuid('transaction_id')
      .notNull()
      .references(() => ledgerTransactions.id),
    accountId: bigint('account_id', { mode: 'bigint' })
      .notNull()
      .references(() => accounts.id),
    /** Signed kobo: positive credits the account, negative debits it. */
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    balanceAfter: bigint('balance_after', { mode: 'bigint' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    check('ledger_entries_amount_non_zero', sql`${t.amount} <> 0`),
    // History pages walk one account's entries newest first; this index makes a page cost the
    // same however long the history is.
    index('ledger_entries_account_id_id_idx').on(t.accountId, t.id.desc()),
    index('ledger_entries_transaction_id_idx').on(t.transactionId),
  ],
);

/**
 * Responses to requests sent with an `Idempotency-Key`, per user. The row is written in the
 * same database transaction as the work it describes, so a stored response always matches what
 * happened.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    state: text('state', { enum: ['in_progress', 'completed'] }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.key] }),
    check('idempotency_keys_state_check', sql`${t.state} in ('in_progress', 'completed')`),
    index('idempotency_keys_created_at_idx').on(t.createdAt),
  ],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    name: text('name').notNull(),
    /** The first characters of the key, safe to show so a user can tell keys apart. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key; the key itself is never stored. */
    keyHash: bytea('key_hash').notNull(),
    permissions: text('permissions').array().notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    /** The expired key this one replaced through rollover; unique, so a key rolls over once. */
    replacesKeyId: uuid('replaces_key_id'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('api_keys_key_hash_idx').on(t.keyHash),
    uniqueIndex('api_keys_replaces_key_id_idx').on(t.replacesKeyId),
    index('api_keys_user_id_idx').on(t.userId),
    check('api_keys_permissions_check', sql`cardinality(${t.permissions}) between 1 and 3`),
  ],
);

export const deposits = pgTable(
  'deposits',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    reference: text('reference').notNull().unique(),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    currency: text('currency').notNull().default('NGN'),
    status: text('status', { enum: ['pending', 'success', 'failed'] }).notNull(),
    authorizationUrl: text('authorization_url'),
    failureReason: text('failure_reason'),
    /** Set when Paystack reported a payment that does not match this deposit; never credited. */
    flaggedReason: text('flagged_reason'),
    ledgerTransactionId: uuid('ledger_transaction_id').references(() => ledgerTransactions.id),
    /** When a status read last asked Paystack about it: at most once a minute per deposit. */
    lastVerifiedAt: timestamp('last_verified_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('deposits_status_check', sql`${t.status} in ('pending', 'success', 'failed')`),
    check('deposits_amount_range', sql`${t.amount} between 100 and 1000000000`),
    index('deposits_user_id_idx').on(t.userId),
  ],
);
