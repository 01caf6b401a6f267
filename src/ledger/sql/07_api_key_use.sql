-- api_key_use(key hash): the API key whose SHA-256 is p_key_hash, checked as every request made
-- with a key is checked, with its use recorded. The one definition of those checks: the
-- credential check of src/auth/api-key-verify.ts selects from it, and wallet_transfer_by_api_key
-- calls it, so a keyed transfer is one statement.
--
-- Guarantees: nothing is cached, so a key revoked or expired is refused from the next statement
-- on, on every instance. last_used_at (what SPEC's GET /keys shows) is refreshed at most once a
-- minute, so most uses write nothing, and never moves backwards when two instances refresh it at
-- once. Expiry is judged by the database's clock, the one every instance shares.
--
-- Raises: WL011 no key has this hash; WL012 the key is revoked; WL013 the key has expired. The
-- service maps these to invalid_api_key, api_key_revoked and api_key_expired
-- (src/auth/api-key-verify.ts).
CREATE OR REPLACE FUNCTION api_key_use(p_key_hash bytea)
RETURNS TABLE (api_key_id uuid, key_user_id uuid, key_permissions text[])
-- One row, said to the planner: left at the default guess of 1,000 rows, a keyed balance read that
-- joins the owner's wallet to this was planned with hash joins over whole tables, 5 times slower.
ROWS 1
LANGUAGE plpgsql AS $$
DECLARE
  v_key record;
BEGIN
  SELECT k.id, k.user_id, k.permissions, k.expires_at, k.revoked_at, k.last_used_at INTO v_key
    FROM api_keys k WHERE k.key_hash = p_key_hash;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'api_key_use: no key has this hash' USING ERRCODE = 'WL011';
  END IF;
  IF v_key.revoked_at IS NOT NULL THEN
    RAISE EXCEPTION 'api_key_use: key % is revoked', v_key.id USING ERRCODE = 'WL012';
  END IF;
  IF v_key.expires_at <= now() THEN
    RAISE EXCEPTION 'api_key_use: key % has expired', v_key.id USING ERRCODE = 'WL013';
  END IF;
  IF v_key.last_used_at IS NULL OR v_key.last_used_at <= now() - interval '1 minute' THEN
    UPDATE api_keys k SET last_used_at = now()
     WHERE k.id = v_key.id AND (k.last_used_at IS NULL OR k.last_used_at < now());
  END IF;
  api_key_id := v_key.id;
  key_user_id := v_key.user_id;
  key_permissions := v_key.permissions;
  RETURN NEXT;
END;
$$;
