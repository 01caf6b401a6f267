-- wallet_refund(deposit id, refund key, amount): takes a refunded (or charged-back) deposit's
-- money back, exactly once per refund key, in one statement. Paystack has paid `amount` kobo back
-- to the payer out of the merchant's balance, so the clearing account (what Paystack owes us)
-- goes up by it; the wallet gives what it holds, up to the amount, and the rest, the shortfall,
-- becomes the wallet's debt on its receivable account (`debt:<wallet number>`, made at the first
-- shortfall), and freezes the wallet. Partial refunds of one deposit are separate keys; together
-- they never exceed the deposit.
--
-- Guarantees: the deposit row is locked first, then the clearing sub-account (the refund key's,
-- from system_sub_account) and the wallet in ascending id order (the order ledger_post uses), so
-- the wallet's balance cannot change between reading it and debiting it, and concurrent refunds, transfers and credits queue rather than
-- deadlock. A key seen before is a `duplicate` and moves nothing.
--
-- It records `refund.processed` in the outbox, and `wallet.frozen` when it freezes the wallet.
--
-- Returns one row: result ('refunded' | 'duplicate'), the wallet's number, kobo taken, kobo
-- shortfall, whether the wallet is frozen now, and its debt now.
-- Raises: WL002 an amount that is not positive; WL010 the deposit is not credited, or the refunds
-- would exceed it.
CREATE OR REPLACE FUNCTION wallet_refund(p_deposit uuid, p_refund_key text, p_amount bigint)
RETURNS TABLE (result text, wallet_number text, taken bigint, shortfall bigint, frozen boolean, debt bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_deposit deposits%ROWTYPE;
  v_wallet wallets%ROWTYPE;
  v_clearing bigint;
  v_refund uuid;
  v_refunded bigint;
  v_accounts bigint[];
  v_amounts bigint[];
  v_transaction_id uuid;
BEGIN
  IF p_amount IS NULL OR p_amount <= 0 THEN
    RAISE EXCEPTION 'wallet_refund: amount % is not positive', p_amount USING ERRCODE = 'WL002';
  END IF;
  SELECT * INTO v_deposit FROM deposits WHERE id = p_deposit FOR UPDATE;
  IF NOT FOUND OR v_deposit.status <> 'success' OR v_deposit.ledger_transaction_id IS NULL THEN
    RAISE EXCEPTION 'wallet_refund: deposit % was never credited', p_deposit USING ERRCODE = 'WL010';
  END IF;
  SELECT * INTO STRICT v_wallet FROM wallets w WHERE w.user_id = v_deposit.user_id;
  wallet_number := v_wallet.wallet_number;

  INSERT INTO refunds (refund_key, deposit_id, amount, taken, shortfall)
  VALUES (p_refund_key, p_deposit, p_amount, p_amount, 0)
  ON CONFLICT (refund_key) DO NOTHING
  RETURNING id INTO v_refund;
  IF v_refund IS NULL THEN
    result := 'duplicate';
    SELECT r.taken, r.shortfall INTO taken, shortfall FROM refunds r WHERE r.refund_key = p_refund_key;
    frozen := v_wallet.frozen_at IS NOT NULL;
    debt := coalesce((SELECT -balance FROM accounts WHERE id = v_wallet.debt_account_id), 0);
    RETURN NEXT;
    RETURN;
  END IF;
  SELECT sum(r.amount) INTO v_refunded FROM refunds r WHERE r.deposit_id = p_deposit;
  IF v_refunded > v_deposit.amount THEN
    RAISE EXCEPTION 'wallet_refund: refunds of % would exceed deposit % of %', v_refunded, p_deposit, v_deposit.amount
      USING ERRCODE = 'WL010';
  END IF;

  v_clearing := system_sub_account('paystack:clearing', 'refund:' || p_refund_key);
  -- Sub-accounts 1 to 15 were made after the first wallets: their ids may be either side.
  PERFORM 1 FROM accounts WHERE id = least(v_clearing, v_wallet.account_id) FOR UPDATE;
  PERFORM 1 FROM accounts WHERE id = greatest(v_clearing, v_wallet.account_id) FOR UPDATE;
  SELECT least(balance, p_amount) INTO STRICT taken FROM accounts WHERE id = v_wallet.account_id;
  shortfall := p_amount - taken;
  IF shortfall > 0 AND v_wallet.debt_account_id IS NULL THEN
    INSERT INTO accounts (kind, system_code) VALUES ('system', 'debt:' || v_wallet.wallet_number)
    RETURNING id INTO v_wallet.debt_account_id;
    UPDATE wallets w SET debt_account_id = v_wallet.debt_account_id WHERE w.account_id = v_wallet.account_id;
  END IF;

  v_accounts := ARRAY[v_clearing];
  v_amounts := ARRAY[p_amount];
  IF taken > 0 THEN
    v_accounts := v_accounts || v_wallet.account_id;
    v_amounts := v_amounts || -taken;
  END IF;
  IF shortfall > 0 THEN
    v_accounts := v_accounts || v_wallet.debt_account_id;
    v_amounts := v_amounts || -shortfall;
  END IF;
  SELECT DISTINCT p.transaction_id INTO STRICT v_transaction_id
    FROM ledger_post('refund:' || p_refund_key, 'refund', v_accounts, v_amounts) p;
  UPDATE refunds r SET taken = wallet_refund.taken, shortfall = wallet_refund.shortfall,
                       ledger_transaction_id = v_transaction_id
   WHERE r.id = v_refund;

  result := 'refunded';
  frozen := shortfall > 0 OR v_wallet.frozen_at IS NOT NULL;
  debt := coalesce((SELECT -balance FROM accounts WHERE id = v_wallet.debt_account_id), 0);
  PERFORM outbox_emit(v_deposit.user_id, 'refund.processed', jsonb_build_object(
    'reference', v_deposit.reference, 'refund_reference', p_refund_key, 'amount', p_amount,
    'taken', taken, 'shortfall', shortfall, 'wallet_number', v_wallet.wallet_number));
  IF shortfall > 0 AND v_wallet.frozen_at IS NULL THEN
    UPDATE wallets w
       SET frozen_at = now(),
           frozen_reason = format('refund %s of %s kobo left a debt of %s kobo', p_refund_key, p_amount, shortfall)
     WHERE w.account_id = v_wallet.account_id;
    PERFORM wallet_freeze_event(v_wallet.account_id);
  END IF;
  RETURN NEXT;
END;
$$;
