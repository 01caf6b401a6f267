import { sql } from 'drizzle-orm';
import { databaseErrorCode, type Queryable, queryRows } from '../db/client.ts';
import { invariant } from '../errors.ts';

export interface RefundPosting {
  result: 'refunded' | 'duplicate';
  walletNumber: string;
  /** Kobo taken from the wallet. */
  taken: bigint;
  /** Kobo the wallet lacked: added to its debt. */
  shortfall: bigint;
  /** Whether the wallet is frozen now. */
  frozen: boolean;
  /** Kobo the wallet owes now. */
  debt: bigint;
}

/** The refund cannot be taken: the deposit was never credited, or refunds would exceed it (WL010). */
export class RefundRefusedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RefundRefusedError';
  }
}

/**
 * Takes `amount` kobo of the credited deposit `depositId` back, once per `refundKey`, in one
 * statement: the `wallet_refund` database function (`sql/40_wallet_refund.sql`). The wallet gives
 * what it holds, up to the amount; the rest becomes its debt and freezes it.
 *
 * Throws `RefundRefusedError` when the deposit was never credited or the refunds of it would
 * exceed it (nothing moves).
 */
export async function postRefund(
  db: Queryable,
  input: { depositId: string; refundKey: string; amount: bigint },
): Promise<RefundPosting> {
  invariant(input.amount > 0n, 'a refund amount is positive');
  let rows: {
    result: RefundPosting['result'];
    wallet_number: string;
    taken: string;
    shortfall: string;
    frozen: boolean;
    debt: string;
  }[];
  try {
    rows = await queryRows(
      db,
      sql`select * from wallet_refund(${input.depositId}::uuid, ${input.refundKey}, ${input.amount}::bigint)`,
    );
  } catch (error) {
    if (databaseErrorCode(error) === 'WL010') {
      throw new RefundRefusedError('the deposit was never credited, or its refunds would exceed it', {
        cause: error,
      });
    }
    throw error;
  }
  const [row] = rows;
  invariant(row !== undefined, 'wallet_refund returns one row');
  return {
    result: row.result,
    walletNumber: row.wallet_number,
    taken: BigInt(row.taken),
    shortfall: BigInt(row.shortfall),
    frozen: row.frozen,
    debt: BigInt(row.debt),
  };
}
