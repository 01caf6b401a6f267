-- deposit_credit(deposit id): credits a successful Paystack deposit to its owner's wallet and
-- returns the ledger transaction's id.
--
-- Guarantees: in one statement, posts wallet +amount / Paystack clearing account -amount through
-- ledger_post, with the deposit's reference as the ledger reference, and links the deposit to
-- that ledger transaction. The clearing sub-account is the reference's (system_sub_account). The
-- caller claims the deposit first (status 'success') in the same transaction and calls this right
-- before COMMIT, so the sub-account's row lock, which other credits on it queue for, is held for
-- this statement and the commit only. A deposit is credited at
-- most once: the link is checked here, and the reference is unique in the ledger.
--
-- It records `deposit.succeeded` in the outbox (outbox_emit) with the deposit as its status
-- endpoint shows it. A wallet that owes money (a refund's shortfall) repays its debt from the credit at once
-- (wallet_repay_debt), in the same statement.
--
-- Raises: WL006 the deposit is not claimed, is credited already, or its owner has no wallet;
-- 23505 (from ledger_post) its reference was posted already.
CREATE OR REPLACE FUNCTION deposit_credit(p_deposit_id uuid)
RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  v_reference text;
  v_user uuid;
  v_amount bigint;
  v_wallet bigint;
  v_debt bigint;
  v_clearing bigint;
  v_transaction_id uuid;
BEGIN
  SELECT d.reference, d.user_id, d.amount, w.account_id, w.debt_account_id
    INTO v_reference, v_user, v_amount, v_wallet, v_debt
    FROM deposits d JOIN wallets w ON w.user_id = d.user_id
   WHERE d.id = p_deposit_id AND d.status = 'success' AND d.ledger_transaction_id IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'deposit_credit: deposit % is not a claimed, uncredited deposit with a wallet', p_deposit_id
      USING ERRCODE = 'WL006';
  END IF;
  v_clearing := system_sub_account('paystack:clearing', v_reference);

  -- DISTINCT reads every row ledger_post returns (one per entry, all of one transaction).
  SELECT DISTINCT p.transaction_id INTO STRICT v_transaction_id
    FROM ledger_post(v_reference, 'deposit', ARRAY[v_wallet, v_clearing], ARRAY[v_amount, -v_amount]) p;

  UPDATE deposits SET ledger_transaction_id = v_transaction_id WHERE id = p_deposit_id;
  IF v_debt IS NOT NULL THEN
    PERFORM wallet_repay_debt(v_wallet, v_debt, v_reference);
  END IF;
  PERFORM outbox_emit(v_user, 'deposit.succeeded',
                      jsonb_build_object('reference', v_reference, 'status', 'success', 'amount', v_amount));
  RETURN v_transaction_id;
END;
$$;
