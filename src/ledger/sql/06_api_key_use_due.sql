-- api_key_use_due(last_used_at): whether a use of an API key is to be recorded now.
-- last_used_at (what SPEC's GET /keys shows) is informational: recording it at most once a minute
-- keeps most keyed requests free of writes. The rule's one definition, inlined like
-- api_key_refusal into the credential check of src/auth/api-key-verify.ts and used by api_key_use.
CREATE OR REPLACE FUNCTION api_key_use_due(p_last_used_at timestamptz)
RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT p_last_used_at IS NULL OR p_last_used_at <= now() - interval '1 minute';
$$;
