import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.ts';
import { deposits } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { emitDepositsFailed } from '../notifications/outbox.ts';
import { type PaystackClient, PaystackError } from '../paystack/client.ts';

export interface DepositStatus {
  reference: string;
  status: 'pending' | 'success' | 'failed';
  amount: bigint;
}

/** The columns a status answer is made of, read and returned alike. */
const STATUS_FIELDS = { reference: deposits.reference, status: deposits.status, amount: deposits.amount };

/** SPEC: a status read asks Paystack about one deposit at most once a minute. */
export const VERIFY_INTERVAL_MS = 60_000;

/** Paystack's final verdicts short of success; `abandoned` is not one: the payer may still pay. */
const FAILED_AT_PAYSTACK = new Set(['failed', 'reversed']);

/**
 * The caller's own deposit; another user's reference is as unknown as a made-up one.
 *
 * Paystack sends no webhook when a payment fails, so a pending deposit is checked with Paystack's
 * verify call and marked `failed` when Paystack says it failed. It never credits, even when
 * Paystack says `success`: only the signed webhook credits. When Paystack cannot be asked, the
 * answer is what the service knows, with the reason in `providerError`.
 *
 * Paystack is asked about one deposit at most once per `VERIFY_INTERVAL_MS`, whoever reads: a read
 * claims the right with a guarded UPDATE of `last_verified_at`, which concurrent reads wait on and
 * then find taken, so they answer from the database instead of calling Paystack too.
 */
export async function getDepositStatus(
  db: Queryable,
  client: PaystackClient,
  userId: string,
  reference: string,
): Promise<{ deposit: DepositStatus; providerError?: PaystackError }> {
  const [deposit] = await db
    .select(STATUS_FIELDS)
    .from(deposits)
    .where(and(eq(deposits.reference, reference), eq(deposits.userId, userId)));
  if (!deposit) throw new AppError('deposit_not_found', 'You have no deposit with this reference');
  if (deposit.status !== 'pending') return { deposit };
  if (!(await claimVerification(db, reference))) return { deposit };

  let verdict: string;
  try {
    verdict = (await client.verifyTransaction(reference)).status;
  } catch (error) {
    if (error instanceof PaystackError) return { deposit, providerError: error };
    throw error;
  }
  if (!FAILED_AT_PAYSTACK.has(verdict)) return { deposit };
  const [failed] = await db.transaction(async (tx) => {
    const rows = await tx
      .update(deposits)
      .set({ status: 'failed', failureReason: `paystack_${verdict}`, updatedAt: sql`now()` })
      .where(and(eq(deposits.reference, reference), eq(deposits.status, 'pending')))
      .returning(STATUS_FIELDS);
    if (rows.length > 0) await emitDepositsFailed(tx, [reference]);
    return rows;
  });
  // Not updated: a webhook credited it meanwhile; its state is the one to report.
  if (failed) return { deposit: failed };
  const [current] = await db.select(STATUS_FIELDS).from(deposits).where(eq(deposits.reference, reference));
  return { deposit: current ?? deposit };
}

/** True when this read may ask Paystack now: the deposit is pending and was not asked about lately. */
async function claimVerification(db: Queryable, reference: string): Promise<boolean> {
  const claimed = await db
    .update(deposits)
    .set({ lastVerifiedAt: sql`now()` })
    .where(
      and(
        eq(deposits.reference, reference),
        eq(deposits.status, 'pending'),
        or(
          isNull(deposits.lastVerifiedAt),
          lt(deposits.lastVerifiedAt, sql`now() - make_interval(secs => ${VERIFY_INTERVAL_MS / 1000})`),
        ),
      ),
    )
    .returning({ id: deposits.id });
  return claimed.length > 0;
}
