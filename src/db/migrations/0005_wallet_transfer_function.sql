-- A wallet-to-wallet transfer in one statement: resolves the sender (by user) and the recipient (by
-- wallet number) and posts through ledger_post, saving the client a round trip per transfer.
-- Refusals are SQLSTATEs the service maps to its error codes: WL003 self transfer, WL004 unknown
-- recipient, WL005 sender without a wallet (WL001, insufficient funds, comes from ledger_post).
CREATE FUNCTION wallet_transfer(p_sender_user uuid, p_recipient_wallet_number text, p_amount bigint, p_reference text)
RETURNS TABLE (sender_balance bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_sender bigint;
  v_sender_number text;
  v_recipient bigint;
BEGIN
  SELECT account_id, wallet_number INTO v_sender, v_sender_number FROM wallets WHERE user_id = p_sender_user;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'wallet_transfer: user % has no wallet', p_sender_user USING ERRCODE = 'WL005';
  END IF;
  IF v_sender_number = p_recipient_wallet_number THEN
    RAISE EXCEPTION 'wallet_transfer: self transfer' USING ERRCODE = 'WL003';
  END IF;
  SELECT account_id INTO v_recipient FROM wallets WHERE wallet_number = p_recipient_wallet_number;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'wallet_transfer: no wallet %', p_recipient_wallet_number USING ERRCODE = 'WL004';
  END IF;
  RETURN QUERY
    SELECT p.balance_after
      FROM ledger_post(p_reference, 'transfer', ARRAY[v_sender, v_recipient], ARRAY[-p_amount, p_amount]) p
     WHERE p.account_id = v_sender;
END;
$$;
