-- api_key_use(key hash): the API key whose SHA-256 is p_key_hash, checked as every request made
-- with a key is checked, with its use recorded, for a statement that does its work with the key
-- (wallet_transfer_by_api_key: a keyed transfer in one statement).
--
-- Guarantees: the rules are those of every other keyed request (api_key_refusal,
-- api_key_use_due, api_key_record_use), and nothing is cached, so a key revoked or expired is
-- refused from the next statement on, on every instance.
--
-- Raises: WL011 no key has this hash; WL012 the key is revoked; WL013 the key has expired. The
-- service maps these to invalid_api_key, api_key_revoked and api_key_expired
-- (src/auth/api-key-verify.ts).
CREATE OR REPLACE FUNCTION api_key_use(p_key_hash bytea)
RETURNS TABLE (api_key_id uuid, key_user_id uuid, key_permissions text[])
ROWS 1
LANGUAGE plpgsql AS $$
DECLARE
  v_refusal text;
  v_use_due boolean;
BEGIN
  SELECT k.id, k.user_id, k.permissions, api_key_refusal(k.revoked_at, k.expires_at), api_key_use_due(k.last_used_at)
    INTO api_key_id, key_user_id, key_permissions, v_refusal, v_use_due
    FROM api_keys k WHERE k.key_hash = p_key_hash;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'api_key_use: no key has this hash' USING ERRCODE = 'WL011';
  END IF;
  IF v_refusal IS NOT NULL THEN
    RAISE EXCEPTION 'api_key_use: key % is refused', api_key_id USING ERRCODE = v_refusal;
  END IF;
  IF v_use_due THEN
    PERFORM api_key_record_use(api_key_id);
  END IF;
  RETURN NEXT;
END;
$$;
