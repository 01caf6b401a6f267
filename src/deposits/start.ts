import { and, count, eq, isNull, lt, sql } from 'drizzle-orm';
import { signedInUserGone } from '../auth/permissions.ts';
import { type Database, type Queryable, retryTransaction } from '../db/client.ts';
import { deposits, users } from '../db/schema.ts';
import { AppError, invariant } from '../errors.ts';
import {
  claimIdempotencyKey,
  type IdempotentOutcome,
  type IdempotentRequest,
  type Replay,
  releaseIdempotencyKey,
  storeIdempotentResponse,
} from '../idempotency/store.ts';
import { newReference } from '../ledger/reference.ts';
import { emitDepositsFailed } from '../notifications/outbox.ts';
import { type PaystackClient, PaystackError } from '../paystack/client.ts';

/** SPEC: at least ₦1, and at most Paystack's cap of ₦10m for one transaction. */
export const MIN_DEPOSIT_KOBO = 100;
export const MAX_DEPOSIT_KOBO = 1_000_000_000;

/**
 * Starting a deposit takes at most Paystack's timeout (10 s by default) plus two short
 * transactions. A deposit still `pending` without a checkout URL after this long, and the
 * `in_progress` Idempotency-Key of its request, were left by a process that stopped mid-request:
 * nobody was given the URL, so nobody can pay it.
 */
export const ABANDONED_DEPOSIT_START_MS = 2 * 60_000;

/**
 * SPEC: at most 10 pending deposits per user, so one user cannot spend the merchant's Paystack
 * rate limit with initialize calls. Paystack tells nobody when a payer walks away from a
 * checkout; the reconciler (`src/deposits/reconcile.ts`) fails a deposit Paystack reports
 * abandoned once it is a day old, so forgotten checkouts free their places by themselves.
 */
export const MAX_PENDING_DEPOSITS = 10;

/**
 * Marks deposits abandoned mid-start `failed` (of one user, or of everyone); returns how many.
 * Should Paystack ever confirm a payment for one, the webhook still credits it: a failure that
 * is not a mismatch never blocks a signed confirmation.
 */
export async function failAbandonedDepositStarts(db: Queryable, userId?: string): Promise<number> {
  return db.transaction(async (tx) => {
    const failed = await tx
      .update(deposits)
      .set({ status: 'failed', failureReason: 'interrupted_before_checkout', updatedAt: sql`now()` })
      .where(
        and(
          userId === undefined ? undefined : eq(deposits.userId, userId),
          eq(deposits.status, 'pending'),
          isNull(deposits.authorizationUrl),
          lt(deposits.createdAt, sql`now() - make_interval(secs => ${ABANDONED_DEPOSIT_START_MS / 1000})`),
        ),
      )
      .returning({ reference: deposits.reference });
    await emitDepositsFailed(
      tx,
      failed.map((row) => row.reference),
    );
    return failed.length;
  });
}

export interface DepositPaystack {
  client: PaystackClient;
  /** Where Paystack's checkout sends the payer afterwards; Paystack's dashboard setting when unset. */
  callbackUrl: string | undefined;
}

export interface StartedDeposit {
  reference: string;
  authorizationUrl: string;
  amount: bigint;
  status: 'pending';
}

interface DepositStart {
  userId: string;
  amount: bigint;
  idempotency: IdempotentRequest<StartedDeposit> | undefined;
}

/**
 * Starts a deposit: records it as pending, initializes a Paystack transaction for it, and answers
 * with the checkout URL (`amount` in kobo). A user with `MAX_PENDING_DEPOSITS` pending deposits
 * gets `409 too_many_pending_deposits`. Paystack unreachable, slow or refusing: the deposit is
 * marked `failed` with the reason, and `502 payment_provider_error` names its reference. A user
 * deleted since their credentials were issued is `401 invalid_token`.
 *
 * With an idempotency key the key is claimed before Paystack is called, in its own short
 * transaction, because no database transaction should stay open across a call to another
 * service: a concurrent retry meanwhile gets `409 idempotency_request_in_progress`, the route's
 * answer is stored with the checkout URL, and a provider failure releases the key so that a retry
 * starts afresh. Should the process die between the claim and the last transaction, the key stays
 * `in_progress`: after `ABANDONED_DEPOSIT_START_MS` a retry with it takes it over and starts
 * afresh, and the abandoned deposit is marked `failed` (here for this user, hourly for everyone).
 */
export async function startDeposit(
  db: Database,
  paystack: DepositPaystack,
  input: DepositStart,
): Promise<IdempotentOutcome<StartedDeposit>> {
  invariant(
    input.amount >= BigInt(MIN_DEPOSIT_KOBO) && input.amount <= BigInt(MAX_DEPOSIT_KOBO),
    'deposit amount validated at the edge',
  );
  const reference = newReference('dep');
  const recorded = await recordPendingDeposit(db, input, reference);
  if ('replayed' in recorded) return recorded;
  const authorizationUrl = await initializeAtPaystack(db, paystack, input, { reference, ...recorded });
  const deposit: StartedDeposit = { reference, authorizationUrl, amount: input.amount, status: 'pending' };
  await db.transaction(async (tx) => {
    await tx
      .update(deposits)
      .set({ authorizationUrl, updatedAt: sql`now()` })
      .where(eq(deposits.id, recorded.depositId));
    if (input.idempotency) {
      await storeIdempotentResponse(tx, input.idempotency.scope, input.idempotency.answer(deposit));
    }
  });
  return { replayed: false, result: deposit };
}

/** Step one, committed before Paystack is called: the key claimed (or its answer found) and the deposit pending. */
async function recordPendingDeposit(
  db: Database,
  input: DepositStart,
  reference: string,
): Promise<Replay | { depositId: string; email: string }> {
  const { userId, amount, idempotency } = input;
  return retryTransaction(() =>
    db.transaction(async (tx): Promise<Replay | { depositId: string; email: string }> => {
      if (idempotency) {
        const stored = await claimIdempotencyKey(tx, idempotency.scope, {
          abandonedAfterMs: ABANDONED_DEPOSIT_START_MS,
        });
        if (stored) return stored;
      }
      await failAbandonedDepositStarts(tx, userId);
      // The user's row lock serializes this user's starts, so the count below cannot be raced.
      const [user] = await tx
        .select({ email: users.email })
        .from(users)
        .where(eq(users.id, userId))
        .for('update');
      if (!user) throw signedInUserGone();
      const [pending] = await tx
        .select({ count: count() })
        .from(deposits)
        .where(and(eq(deposits.userId, userId), eq(deposits.status, 'pending')));
      if ((pending?.count ?? 0) >= MAX_PENDING_DEPOSITS) {
        throw new AppError(
          'too_many_pending_deposits',
          `You have ${MAX_PENDING_DEPOSITS} deposits not yet paid: pay one through its checkout link ` +
            'before starting another; an abandoned checkout is failed a day after it was started.',
        );
      }
      const [deposit] = await tx
        .insert(deposits)
        .values({ userId, reference, amount, status: 'pending' })
        .returning({ id: deposits.id });
      invariant(deposit, 'deposit insert returned a row');
      return { depositId: deposit.id, email: user.email };
    }),
  );
}

/**
 * Step two: Paystack's checkout URL for the deposit. When Paystack fails, the deposit becomes
 * `failed` with the reason and the key is released, then `502 payment_provider_error` is thrown.
 */
async function initializeAtPaystack(
  db: Database,
  paystack: DepositPaystack,
  input: DepositStart,
  deposit: { reference: string; depositId: string; email: string },
): Promise<string> {
  try {
    const initialized = await paystack.client.initializeTransaction({
      email: deposit.email,
      amount: input.amount,
      reference: deposit.reference,
      currency: 'NGN',
      callbackUrl: paystack.callbackUrl,
      metadata: { user_id: input.userId, deposit_id: deposit.depositId },
    });
    return initialized.authorizationUrl;
  } catch (error) {
    const reason = error instanceof PaystackError ? `${error.failure}: ${error.message}` : 'internal error';
    await db.transaction(async (tx) => {
      await tx
        .update(deposits)
        .set({ status: 'failed', failureReason: reason.slice(0, 500), updatedAt: sql`now()` })
        .where(and(eq(deposits.id, deposit.depositId), eq(deposits.status, 'pending')));
      await emitDepositsFailed(tx, [deposit.reference]);
      if (input.idempotency) await releaseIdempotencyKey(tx, input.idempotency.scope);
    });
    if (!(error instanceof PaystackError)) throw error;
    throw new AppError(
      'payment_provider_error',
      'Paystack could not start the payment (unreachable, too slow or refusing); nothing was charged. ' +
        'Try again shortly.',
      // The error handler logs the cause: which of Paystack's failures it was.
      { extensions: { reference: deposit.reference }, cause: error },
    );
  }
}
