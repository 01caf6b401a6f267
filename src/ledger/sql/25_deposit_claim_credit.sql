-- deposit_claim_credit(reference, amount in kobo, currency): claims the pending deposit that
-- Paystack reports paid and credits it, in one statement; returns the ledger transaction's id and
-- whether the deposit had been marked failed before, or no row when there is no such deposit to
-- claim.
--
-- Guarantees: the claim is the guarded update of src/deposits/confirm.ts (reference, amount and
-- currency all match, and the deposit is pending, or failed without a flag), then deposit_credit,
-- with everything it guarantees (posted at most once, the outbox event, the debt repaid). Of
-- concurrent duplicates one claims the row; the rest wait for its commit, find it claimed and
-- return no row. As the statement commits on its own, a credit costs one round trip and the
-- clearing sub-account's row lock is held for this statement and its commit only.
--
-- No row: the reference is unknown, already credited, or reported with another amount or currency;
-- the caller tells these apart in a transaction of its own (the rare path).
--
-- Raises: what deposit_credit raises.
CREATE OR REPLACE FUNCTION deposit_claim_credit(p_reference text, p_amount bigint, p_currency text)
RETURNS TABLE (transaction_id uuid, previously_failed boolean)
ROWS 1
LANGUAGE plpgsql AS $$
DECLARE
  v_deposit uuid;
BEGIN
  UPDATE deposits d SET status = 'success', updated_at = now()
   WHERE d.reference = p_reference AND d.amount = p_amount AND d.currency = p_currency
     AND (d.status = 'pending' OR (d.status = 'failed' AND d.flagged_reason IS NULL))
  -- Every way to 'failed' records a reason, and claiming leaves it in place: a claimed row with a
  -- reason was failed until this moment.
  RETURNING d.id, d.failure_reason IS NOT NULL INTO v_deposit, previously_failed;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  transaction_id := deposit_credit(v_deposit);
  RETURN NEXT;
END;
$$;
