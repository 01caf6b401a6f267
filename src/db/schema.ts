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
 * Ledger accounts: one per wallet, plus system accounts, each split in 16 sub-accounts (migration 0012):
 * `paystack:clearing:0` … `:15` and `withdrawals:in_flight:0` … `:15`. The balance
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
    /**
     * The wallet's receivable account (`debt:<wallet number>`, a system account), created at its
     * first refund shortfall: its balance is minus what the wallet owes. Null: it never owed.
     */
    debtAccountId: bigint('debt_account_id', { mode: 'bigint' }).references(() => accounts.id),
    /** Set while the wallet is frozen: it sends no transfers or withdrawals, and still receives. */
    frozenAt: timestamp('frozen_at', { withTimezone: true }),
    frozenReason: text('frozen_reason'),
    createdAt: createdAt(),
  },
  (t) => [
    check('wallets_wallet_number_format', sql`${t.walletNumber} ~ '^[0-9]{13}$'`),
    check('wallets_frozen_with_reason', sql`(${t.frozenAt} is null) = (${t.frozenReason} is null)`),
  ],
);

/**
 * What a ledger transaction did. A withdrawal is up to two of them: `withdrawal` holds the money
 * (wallet → a `withdrawals:in_flight:<n>`); then `withdrawal_payout` (in-flight → a `paystack:clearing:<n>`,
 * Paystack paid it out) or `withdrawal_return` (back to the wallet: failed, or reversed). A
 * `refund` takes a refunded (or charged-back) deposit's money back: from the wallet, and what the
 * wallet lacks from its debt account; `debt_repayment` moves money the wallet receives later to
 * its debt account until the debt is paid.
 */
export const LEDGER_KINDS = [
  'deposit',
  'transfer',
  'withdrawal',
  'withdrawal_payout',
  'withdrawal_return',
  'refund',
  'debt_repayment',
] as const;

export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    reference: text('reference').notNull().unique(),
    kind: text('kind', { enum: LEDGER_KINDS }).notNull(),
    status: text('status', { enum: ['posted'] })
      .notNull()
      .default('posted'),
    createdAt: createdAt(),
  },
  (t) => [
    check(
      'ledger_transactions_kind_check',
      sql`${t.kind} in ('deposit', 'transfer', 'withdrawal', 'withdrawal_payout', 'withdrawal_return', 'refund', 'debt_repayment')`,
    ),
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
    check('api_keys_permissions_check', sql`cardinality(${t.permissions}) between 1 and 4`),
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
    /** When Paystack was last asked about it (a status read or the reconciler): reads ask at most once a minute. */
    lastVerifiedAt: timestamp('last_verified_at', { withTimezone: true }),
    /**
     * When the reconciler last claimed it: the reconciler spaces its own asks by this, so a user
     * polling the status endpoint cannot hold off the reconciler's credit of a paid deposit.
     */
    lastReconciledAt: timestamp('last_reconciled_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('deposits_status_check', sql`${t.status} in ('pending', 'success', 'failed')`),
    check('deposits_amount_range', sql`${t.amount} between 100 and 1000000000`),
    index('deposits_user_id_idx').on(t.userId),
    // The reconciler's scan: pending deposits only, a small part of all of them.
    index('deposits_pending_created_at_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`),
  ],
);

/**
 * Nigerian bank accounts a user saved while signed in, resolved with Paystack, the only places a
 * withdrawal can pay to. Removing one sets `deleted_at`: withdrawals made to it still show it.
 */
export const bankAccounts = pgTable(
  'bank_accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    bankCode: text('bank_code').notNull(),
    bankName: text('bank_name').notNull(),
    /** NUBAN: ten digits. */
    accountNumber: text('account_number').notNull(),
    /** The holder's name as Paystack resolved it. */
    accountName: text('account_name').notNull(),
    /** Paystack's transfer recipient (`RCP_…`), created at the first withdrawal and reused. */
    recipientCode: text('recipient_code'),
    createdAt: createdAt(),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [
    check('bank_accounts_account_number_nuban', sql`${t.accountNumber} ~ '^[0-9]{10}$'`),
    uniqueIndex('bank_accounts_user_account_idx')
      .on(t.userId, t.bankCode, t.accountNumber)
      .where(sql`${t.deletedAt} is null`),
  ],
);

/**
 * Withdrawals to a saved bank account through Paystack Transfers. `pending` until Paystack's
 * final word: `success`, `failed` (the money returned) or `reversed` (returned after success).
 * The ledger transactions that moved its money are linked: the hold, then the payout or the return.
 */
export const withdrawals = pgTable(
  'withdrawals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    bankAccountId: uuid('bank_account_id')
      .notNull()
      .references(() => bankAccounts.id),
    /** Ours and Paystack's transfer reference: lowercase letters, digits and `_`. */
    reference: text('reference').notNull().unique(),
    /** Kobo paid to the bank account. */
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    /** Kobo: Paystack's transfer fee, charged to the wallet on top of the amount. */
    fee: bigint('fee', { mode: 'bigint' }).notNull(),
    status: text('status', { enum: ['pending', 'success', 'failed', 'reversed'] }).notNull(),
    failureReason: text('failure_reason'),
    /** Paystack's `TRF_…` code, once an initiation or verification named it. */
    transferCode: text('transfer_code'),
    /** The last status Paystack reported (initiation, verification or webhook). */
    paystackStatus: text('paystack_status'),
    /** Why the last call to Paystack about it had no clear answer (an unknown outcome). */
    lastProviderError: text('last_provider_error'),
    /** Paystack reported something this service will not act on (success after we returned it). */
    flaggedReason: text('flagged_reason'),
    lastVerifiedAt: timestamp('last_verified_at', { withTimezone: true }),
    holdTransactionId: uuid('hold_transaction_id').references(() => ledgerTransactions.id),
    payoutTransactionId: uuid('payout_transaction_id').references(() => ledgerTransactions.id),
    returnTransactionId: uuid('return_transaction_id').references(() => ledgerTransactions.id),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('withdrawals_status_check', sql`${t.status} in ('pending', 'success', 'failed', 'reversed')`),
    check('withdrawals_amount_range', sql`${t.amount} between 10000 and 1000000000`),
    check('withdrawals_fee_non_negative', sql`${t.fee} >= 0`),
    index('withdrawals_user_id_status_idx').on(t.userId, t.status),
    // The reconciler's scan: pending withdrawals, oldest first.
    index('withdrawals_pending_created_at_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`),
    index('withdrawals_hold_transaction_id_idx').on(t.holdTransactionId),
    index('withdrawals_return_transaction_id_idx').on(t.returnTransactionId),
  ],
);

/**
 * Money Paystack returned to a payer after their deposit was credited: a `refund.processed`
 * event, or a dispute lost. Each is taken back once: `refund_key` is Paystack's refund reference
 * (`dispute:<id>` for a dispute), unique. `taken` came out of the wallet, `shortfall` became the
 * wallet's debt.
 */
export const refunds = pgTable(
  'refunds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    refundKey: text('refund_key').notNull().unique(),
    depositId: uuid('deposit_id')
      .notNull()
      .references(() => deposits.id),
    /** Kobo refunded. */
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    /** Kobo taken from the wallet. */
    taken: bigint('taken', { mode: 'bigint' }).notNull(),
    /** Kobo the wallet lacked, now its debt. */
    shortfall: bigint('shortfall', { mode: 'bigint' }).notNull(),
    ledgerTransactionId: uuid('ledger_transaction_id').references(() => ledgerTransactions.id),
    createdAt: createdAt(),
  },
  (t) => [
    check(
      'refunds_amounts',
      sql`${t.amount} > 0 and ${t.taken} >= 0 and ${t.shortfall} >= 0 and ${t.taken} + ${t.shortfall} = ${t.amount}`,
    ),
    index('refunds_deposit_id_idx').on(t.depositId),
  ],
);

/** Chargebacks Paystack reported on a credited deposit: open (the wallet frozen), then won or lost. */
export const disputes = pgTable(
  'disputes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Paystack's dispute id. */
    paystackDisputeId: text('paystack_dispute_id').notNull().unique(),
    depositId: uuid('deposit_id')
      .notNull()
      .references(() => deposits.id),
    /** Kobo in dispute (Paystack's `refund_amount`). */
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    status: text('status', { enum: ['open', 'won', 'lost'] }).notNull(),
    /** Paystack's resolution, once resolved. */
    resolution: text('resolution'),
    createdAt: createdAt(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    check('disputes_status_check', sql`${t.status} in ('open', 'won', 'lost')`),
    index('disputes_deposit_id_idx').on(t.depositId),
  ],
);

/**
 * Signed Paystack events this service acknowledged but would not act on, for a person to review
 * (`npm run ops -- flagged`): a refund or dispute for a deposit never credited, in another
 * currency, or for more than was paid.
 */
export const flaggedEvents = pgTable('flagged_events', {
  id: uuid('id').primaryKey().defaultRandom(),
  event: text('event').notNull(),
  reference: text('reference'),
  reason: text('reason').notNull(),
  createdAt: createdAt(),
});

/**
 * Client applications' webhook endpoints (SPEC "Notifications to client applications"). The
 * secret signs deliveries (Standard Webhooks); after a rotation the previous one signs too until
 * `previous_secret_expires_at`. Deleting one sets `deleted_at`: its deliveries stay readable.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    url: text('url').notNull(),
    /** Event types delivered; null: every type. */
    events: text('events').array(),
    /** `whsec_<base64>`. */
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
    status: text('status', { enum: ['enabled', 'disabled'] }).notNull(),
    /** Why it was disabled (a `410 Gone`, say). */
    disabledReason: text('disabled_reason'),
    createdAt: createdAt(),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [
    check('webhook_endpoints_status_check', sql`${t.status} in ('enabled', 'disabled')`),
    index('webhook_endpoints_user_id_idx').on(t.userId),
  ],
);

/**
 * The transactional outbox: one row per event, written in the same database transaction as the
 * money movement it reports (only for users with an endpoint), so it is never lost and never
 * invented. `dispatched_at` is set once its deliveries have been created.
 */
export const outboxEvents = pgTable(
  'outbox_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    /** `deposit.succeeded`, `transfer.sent`, … (SPEC's list). */
    type: text('type').notNull(),
    /** The event's `data`: the fields the API shows for the object, amounts in kobo. */
    data: jsonb('data').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
    dispatchedAt: timestamp('dispatched_at', { withTimezone: true }),
  },
  (t) => [index('outbox_events_undispatched_idx').on(t.createdAt).where(sql`${t.dispatchedAt} is null`)],
);

/**
 * One event to one endpoint: `id` is the stable `webhook-id` of every attempt. `pending` until a
 * 2xx (`delivered`) or the retry schedule runs out (`failed`); `next_attempt_at` is when the next
 * attempt is due.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => outboxEvents.id),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    /** Attempts made so far. */
    attempt: integer('attempt').notNull().default(0),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] }).notNull(),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    responseStatus: integer('response_status'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('webhook_deliveries_status_check', sql`${t.status} in ('pending', 'delivered', 'failed')`),
    uniqueIndex('webhook_deliveries_event_endpoint_idx').on(t.eventId, t.endpointId),
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_endpoint_id_idx').on(t.endpointId, t.createdAt.desc(), t.id.desc()),
  ],
);
