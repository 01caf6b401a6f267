-- wallet_transfer_by_api_key(key hash, recipient wallet number, amount in kobo, reference): a
-- wallet-to-wallet transfer sent with an API key, the key checked in the same statement, returning
-- the sender's balance after it.
--
-- Guarantees: the key is checked as on every keyed request (api_key_use: known, not revoked, not
-- expired, its use recorded) and must hold the "transfer" permission; then the key's owner sends
-- as in wallet_transfer, with everything it guarantees. One statement: a keyed transfer without an
-- Idempotency-Key costs one round trip, and a refusal of the key or of the transfer changes
-- nothing (the last_used_at refresh is undone with it; the service records that use apart).
--
-- Raises: from api_key_use WL011, WL012, WL013; WL014 the key lacks the "transfer" permission;
-- everything wallet_transfer raises. The service maps these to its error codes
-- (src/ledger/transfer.ts, src/auth/api-key-verify.ts).
CREATE OR REPLACE FUNCTION wallet_transfer_by_api_key(p_key_hash bytea, p_recipient_wallet_number text, p_amount bigint, p_reference text)
RETURNS TABLE (sender_balance bigint)
ROWS 1
LANGUAGE plpgsql AS $$
DECLARE
  v_user uuid;
  v_permissions text[];
BEGIN
  SELECT key_user_id, key_permissions INTO v_user, v_permissions FROM api_key_use(p_key_hash);
  IF NOT 'transfer' = ANY (v_permissions) THEN
    RAISE EXCEPTION 'wallet_transfer_by_api_key: the key lacks the transfer permission' USING ERRCODE = 'WL014';
  END IF;
  RETURN QUERY SELECT w.sender_balance FROM wallet_transfer(v_user, p_recipient_wallet_number, p_amount, p_reference) w;
END;
$$;
