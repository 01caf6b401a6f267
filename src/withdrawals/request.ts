import type { Database } from '../db/client.ts';
import { type IdempotentOutcome, type IdempotentRequest, runIdempotent } from '../idempotency/store.ts';
import { countPosting } from '../observability/metrics.ts';
import { type AcceptedWithdrawal, acceptWithdrawal } from './accept.ts';
import { initiateWithdrawal, type PaystackCheck } from './initiate.ts';
import type { TransfersApi } from './paystack-transfers.ts';

/**
 * `POST /wallet/withdrawals` as one domain call: accepts the withdrawal (the hold, with the
 * withdrawal row and the idempotency record, in one database transaction), then, once that has
 * committed and only for a withdrawal accepted by this request (not a replay), asks Paystack to
 * pay it (`initiateWithdrawal`). Whatever Paystack answers, the withdrawal was accepted: the
 * answer is `202` with status `pending`, and its fate is read with `GET
 * /wallet/withdrawals/{reference}` or learnt from Paystack's webhook.
 *
 * Throws the refusals of `acceptWithdrawal`; never `PaystackError`.
 */
export async function requestWithdrawal(
  db: Database,
  api: TransfersApi,
  input: {
    userId: string;
    bankAccountId: string;
    amount: bigint;
    idempotency: IdempotentRequest<AcceptedWithdrawal> | undefined;
  },
): Promise<{ outcome: IdempotentOutcome<AcceptedWithdrawal>; initiation: PaystackCheck | undefined }> {
  const { userId, bankAccountId, amount } = input;
  const outcome = await runIdempotent(db, input.idempotency, (tx) =>
    acceptWithdrawal(tx, { userId, bankAccountId, amount }),
  );
  if (!('result' in outcome)) return { outcome, initiation: undefined };
  countPosting('withdrawal', outcome.result.amount + outcome.result.fee);
  return { outcome, initiation: await initiateWithdrawal(db, api, outcome.result.reference) };
}
