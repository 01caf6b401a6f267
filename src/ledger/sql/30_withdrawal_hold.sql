-- withdrawal_hold(user id, bank account id, amount, fee, reference, most pending): accepts a
-- withdrawal in one statement: records it `pending` and holds amount + fee, moving it from the
-- user's wallet to the reference's `withdrawals:in_flight:<n>` sub-account (system_sub_account),
-- before anyone calls Paystack. Returns the
-- withdrawal's id and created_at and the wallet's balance after the hold.
--
-- Guarantees: the withdrawal row and the hold commit together or not at all, so money is never
-- held for a withdrawal that does not exist, nor a withdrawal pending without its money held.
-- The user's row is locked first, so this user's concurrent holds are counted one after another
-- (at most p_max_pending pending); only holds take that lock, and they take it before any ledger
-- lock, so it cannot deadlock with postings. The debit is ledger_post's guarded update: no wallet
-- goes below zero however many holds race.
--
-- Raises: WL002 an amount that is not positive or a negative fee; WL005 the user has no wallet;
-- WL009 the wallet is frozen;
-- WL007 the user has p_max_pending pending withdrawals already; WL008 the bank account is not
-- one of the user's saved (undeleted) accounts; from ledger_post: WL001 insufficient funds,
-- 23505 the reference was used already.
CREATE OR REPLACE FUNCTION withdrawal_hold(p_user uuid, p_bank_account uuid, p_amount bigint, p_fee bigint,
                                           p_reference text, p_max_pending int)
RETURNS TABLE (withdrawal_id uuid, created_at timestamptz, balance_after bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_wallet bigint;
  v_frozen timestamptz;
  v_in_flight bigint;
  v_total bigint;
  v_transaction_id uuid;
BEGIN
  IF p_amount IS NULL OR p_amount <= 0 OR p_fee IS NULL OR p_fee < 0 THEN
    RAISE EXCEPTION 'withdrawal_hold: amount % and fee % are not a payout', p_amount, p_fee USING ERRCODE = 'WL002';
  END IF;
  v_total := p_amount + p_fee;
  PERFORM 1 FROM users WHERE id = p_user FOR UPDATE;
  SELECT account_id, frozen_at INTO v_wallet, v_frozen FROM wallets WHERE user_id = p_user;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'withdrawal_hold: user % has no wallet', p_user USING ERRCODE = 'WL005';
  END IF;
  IF v_frozen IS NOT NULL THEN
    RAISE EXCEPTION 'withdrawal_hold: the wallet is frozen' USING ERRCODE = 'WL009';
  END IF;
  PERFORM 1 FROM bank_accounts WHERE id = p_bank_account AND user_id = p_user AND deleted_at IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'withdrawal_hold: no saved bank account %', p_bank_account USING ERRCODE = 'WL008';
  END IF;
  IF (SELECT count(*) FROM withdrawals w WHERE w.user_id = p_user AND w.status = 'pending') >= p_max_pending THEN
    RAISE EXCEPTION 'withdrawal_hold: % pending withdrawals already', p_max_pending USING ERRCODE = 'WL007';
  END IF;
  v_in_flight := system_sub_account('withdrawals:in_flight', p_reference);

  SELECT p.transaction_id, p.balance_after INTO v_transaction_id, balance_after
    FROM ledger_post(p_reference, 'withdrawal', ARRAY[v_wallet, v_in_flight], ARRAY[-v_total, v_total]) p
   WHERE p.account_id = v_wallet;

  INSERT INTO withdrawals (user_id, bank_account_id, reference, amount, fee, status, hold_transaction_id)
  VALUES (p_user, p_bank_account, p_reference, p_amount, p_fee, 'pending', v_transaction_id)
  RETURNING withdrawals.id, withdrawals.created_at INTO withdrawal_id, created_at;
  RETURN NEXT;
END;
$$;
