-- wallet_repay_debt(wallet account, debt account, reference): moves what the wallet holds, up to
-- the debt, to its debt account (a `debt_repayment` posting referenced `<reference>:repay`), and
-- unfreezes the wallet once it owes nothing and no dispute of its owner is open. Returns the kobo
-- repaid (0: nothing owed or nothing held). Called by the functions that credit a wallet, in their
-- statement, after the credit; the wallet's row is locked by then, and the debt account was made
-- after the wallet, so its id is larger and locking it last keeps ledger_post's ascending order.
--
-- A wallet that owes money (a refund took more than it held) has a receivable account,
-- `debt:<wallet number>`: a system account whose balance is minus the debt (SPEC
-- "Reconciliation, refunds and disputes": money it receives repays its debt first).
CREATE OR REPLACE FUNCTION wallet_repay_debt(p_wallet bigint, p_debt bigint, p_reference text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_held bigint;
  v_owed bigint;
  v_repaid bigint;
BEGIN
  SELECT balance INTO STRICT v_held FROM accounts WHERE id = p_wallet;
  SELECT -balance INTO STRICT v_owed FROM accounts WHERE id = p_debt;
  v_repaid := least(v_held, v_owed);
  IF v_repaid > 0 THEN
    PERFORM ledger_post(p_reference || ':repay', 'debt_repayment', ARRAY[p_wallet, p_debt], ARRAY[-v_repaid, v_repaid]);
  END IF;
  IF v_owed - greatest(v_repaid, 0) = 0 THEN
    PERFORM wallet_unfreeze_if_clear(p_wallet);
  END IF;
  RETURN greatest(v_repaid, 0);
END;
$$;
