-- api_key_record_use(key id): records a use of the API key now (last_used_at), for a use that
-- api_key_use_due says is to be recorded. Never moves it backwards when two instances record at
-- once.
CREATE OR REPLACE FUNCTION api_key_record_use(p_key_id uuid)
RETURNS void
LANGUAGE sql AS $$
  UPDATE api_keys SET last_used_at = now()
   WHERE id = p_key_id AND (last_used_at IS NULL OR last_used_at < now());
$$;
