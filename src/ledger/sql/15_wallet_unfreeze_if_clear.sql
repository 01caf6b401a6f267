-- wallet_unfreeze_if_clear(wallet account): unfreezes the wallet when it owes nothing and none of
-- its owner's deposits has an open dispute (recording `wallet.unfrozen` in the outbox); returns
-- whether it is (now) unfrozen. An operator's `unfreeze` is different: it lifts the freeze
-- whatever is owed (src/ops/).
CREATE OR REPLACE FUNCTION wallet_unfreeze_if_clear(p_wallet bigint)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_wallet wallets%ROWTYPE;
BEGIN
  SELECT * INTO STRICT v_wallet FROM wallets WHERE account_id = p_wallet;
  IF v_wallet.frozen_at IS NULL THEN
    RETURN true;
  END IF;
  IF v_wallet.debt_account_id IS NOT NULL
     AND (SELECT balance FROM accounts WHERE id = v_wallet.debt_account_id) <> 0 THEN
    RETURN false;
  END IF;
  IF EXISTS (SELECT 1 FROM disputes d JOIN deposits dep ON dep.id = d.deposit_id
              WHERE dep.user_id = v_wallet.user_id AND d.status = 'open') THEN
    RETURN false;
  END IF;
  UPDATE wallets SET frozen_at = NULL, frozen_reason = NULL WHERE account_id = p_wallet;
  PERFORM wallet_freeze_event(p_wallet);
  RETURN true;
END;
$$;
