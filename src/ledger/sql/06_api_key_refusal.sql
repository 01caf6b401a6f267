-- api_key_refusal(revoked_at, expires_at): why an API key found by its hash is refused, as the
-- SQLSTATE that api_key_use raises for it, or NULL when it may be used: WL012 revoked, WL013
-- expired (by the database's clock, the one every instance shares).
--
-- The rule's one definition. A plain SQL expression, so PostgreSQL inlines it: the credential
-- check of src/auth/api-key-verify.ts selects it with the key and its owner's wallet in one
-- statement that stays a plain indexed join, and api_key_use (a keyed transfer) raises it.
CREATE OR REPLACE FUNCTION api_key_refusal(p_revoked_at timestamptz, p_expires_at timestamptz)
RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_revoked_at IS NOT NULL THEN 'WL012' WHEN p_expires_at <= now() THEN 'WL013' END;
$$;
