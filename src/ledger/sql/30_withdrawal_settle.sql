-- withdrawal_settle(reference, outcome, reason, transfer code, amount, currency): applies
-- Paystack's final word on a withdrawal (`success`, `failed` or `reversed`, from a webhook, a
-- verification or the answer to the initiation) exactly once, in one statement, and says what it
-- did. `amount` (kobo) and `currency` are what Paystack reported, null when its answer had none:
-- a report that disagrees with the withdrawal moves nothing and is `flagged`.
--
-- Transitions (SPEC "Money out"; the ledger moves amount + fee, what the hold took):
--   pending  + success  → success:  in-flight → clearing (withdrawal_payout)
--   pending  + failed   → failed:   in-flight → wallet   (withdrawal_return)
--   pending  + reversed → reversed: in-flight → wallet   (withdrawal_return)
--   success  + reversed → reversed: clearing  → wallet   (withdrawal_return)
-- where in-flight and clearing are the withdrawal reference's sub-accounts of
-- withdrawals:in_flight and paystack:clearing (system_sub_account): the ones its hold and its
-- payout used.
-- Anything else moves nothing: the same outcome again is a `duplicate`; `failed` after `success`,
-- or any outcome after `failed`/`reversed` other than the one that ended it, is `ignored`, except
-- `success` after `failed`: Paystack paid out money the wallet got back, which is `flagged` for a
-- person to resolve (the first reason is kept).
--
-- Guarantees: the withdrawal row is locked before its state is read, so of concurrent deliveries
-- one moves the money and the others, waiting on the lock, then read the new state. The ledger's
-- unique references (`<reference>:payout`, `<reference>:return`) would refuse a second movement
-- even so. Row locks: the withdrawal, then ledger_post's accounts in id order; nothing locks in
-- the other order.
--
-- A settled withdrawal records `withdrawal.succeeded`, `withdrawal.failed` or `withdrawal.reversed`
-- in the outbox (outbox_emit).
--
-- Returns one row: result ('settled' | 'duplicate' | 'ignored' | 'flagged' | 'unknown_reference'),
-- the status before and after, and the withdrawal's id, owner, amount and fee (null when unknown).
-- Raises: WL002 an outcome other than the three.
CREATE OR REPLACE FUNCTION withdrawal_settle(p_reference text, p_outcome text, p_reason text, p_transfer_code text,
                                             p_amount bigint, p_currency text)
RETURNS TABLE (result text, previous_status text, status text, withdrawal_id uuid, user_id uuid,
               amount bigint, fee bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_withdrawal withdrawals%ROWTYPE;
  v_wallet bigint;
  v_from bigint;
  v_total bigint;
  v_transaction_id uuid;
BEGIN
  IF p_outcome IS NULL OR p_outcome NOT IN ('success', 'failed', 'reversed') THEN
    RAISE EXCEPTION 'withdrawal_settle: outcome % is not success, failed or reversed', p_outcome
      USING ERRCODE = 'WL002';
  END IF;
  SELECT * INTO v_withdrawal FROM withdrawals w WHERE w.reference = p_reference FOR UPDATE;
  IF NOT FOUND THEN
    result := 'unknown_reference';
    RETURN NEXT;
    RETURN;
  END IF;
  previous_status := v_withdrawal.status;
  withdrawal_id := v_withdrawal.id;
  user_id := v_withdrawal.user_id;
  amount := v_withdrawal.amount;
  fee := v_withdrawal.fee;
  v_total := v_withdrawal.amount + v_withdrawal.fee;
  SELECT account_id INTO STRICT v_wallet FROM wallets w WHERE w.user_id = v_withdrawal.user_id;

  IF p_amount IS DISTINCT FROM v_withdrawal.amount AND p_amount IS NOT NULL
     OR p_currency IS DISTINCT FROM 'NGN' AND p_currency IS NOT NULL THEN
    UPDATE withdrawals w
       SET flagged_reason = coalesce(w.flagged_reason, format(
             'Paystack reported %s of %s %s for a withdrawal of %s NGN', p_outcome, p_amount, p_currency, v_withdrawal.amount))
     WHERE w.id = v_withdrawal.id;
    result := 'flagged';
  ELSIF v_withdrawal.status = p_outcome THEN
    result := 'duplicate';
  ELSIF v_withdrawal.status = 'pending' AND p_outcome = 'success' THEN
    v_from := system_sub_account('withdrawals:in_flight', p_reference);
    SELECT DISTINCT p.transaction_id INTO STRICT v_transaction_id
      FROM ledger_post(p_reference || ':payout', 'withdrawal_payout',
                       ARRAY[v_from, system_sub_account('paystack:clearing', p_reference)],
                       ARRAY[-v_total, v_total]) p;
    UPDATE withdrawals w SET status = 'success', payout_transaction_id = v_transaction_id WHERE w.id = v_withdrawal.id;
    result := 'settled';
  ELSIF (v_withdrawal.status = 'pending' AND p_outcome IN ('failed', 'reversed'))
     OR (v_withdrawal.status = 'success' AND p_outcome = 'reversed') THEN
    IF v_withdrawal.status = 'pending' THEN
      v_from := system_sub_account('withdrawals:in_flight', p_reference);
    ELSE
      -- The sub-account the payout credited, as the reference chooses it.
      v_from := system_sub_account('paystack:clearing', p_reference);
    END IF;
    SELECT DISTINCT p.transaction_id INTO STRICT v_transaction_id
      FROM ledger_post(p_reference || ':return', 'withdrawal_return', ARRAY[v_from, v_wallet], ARRAY[-v_total, v_total]) p;
    UPDATE withdrawals w
       SET status = p_outcome, return_transaction_id = v_transaction_id,
           failure_reason = coalesce(p_reason, 'paystack_' || p_outcome)
     WHERE w.id = v_withdrawal.id;
    -- Returned money repays what the wallet owes first, as any money it receives does.
    PERFORM wallet_repay_debt(w.account_id, w.debt_account_id, p_reference)
       FROM wallets w WHERE w.account_id = v_wallet AND w.debt_account_id IS NOT NULL;
    result := 'settled';
  ELSIF v_withdrawal.status = 'failed' AND p_outcome = 'success' THEN
    UPDATE withdrawals w
       SET flagged_reason = coalesce(w.flagged_reason,
             'Paystack reported success for a withdrawal whose money was returned to the wallet')
     WHERE w.id = v_withdrawal.id;
    result := 'flagged';
  ELSE
    result := 'ignored';
  END IF;

  UPDATE withdrawals w
     SET paystack_status = p_outcome, transfer_code = coalesce(p_transfer_code, w.transfer_code), updated_at = now()
   WHERE w.id = v_withdrawal.id
  RETURNING w.status INTO status;
  IF result = 'settled' THEN
    -- The withdrawal as GET /wallet/withdrawals/{reference} shows it, for its owner's endpoints.
    PERFORM outbox_emit(v_withdrawal.user_id,
      CASE status WHEN 'success' THEN 'withdrawal.succeeded' WHEN 'failed' THEN 'withdrawal.failed'
                  ELSE 'withdrawal.reversed' END,
      (SELECT jsonb_build_object(
                'reference', w.reference, 'status', w.status, 'amount', w.amount, 'fee', w.fee,
                'total', w.amount + w.fee, 'failure_reason', w.failure_reason,
                'created_at', api_time(w.created_at), 'updated_at', api_time(w.updated_at),
                'bank_account', jsonb_build_object(
                  'id', b.id, 'bank_code', b.bank_code, 'bank_name', b.bank_name,
                  'account_number', b.account_number, 'account_name', b.account_name,
                  'created_at', api_time(b.created_at)))
         FROM withdrawals w JOIN bank_accounts b ON b.id = w.bank_account_id
        WHERE w.id = v_withdrawal.id));
  END IF;
  RETURN NEXT;
END;
$$;
