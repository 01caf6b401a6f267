-- api_time(timestamp): a time as the API writes it, ISO 8601 in UTC to the millisecond
-- ("2026-11-30T07:12:03.456Z", what JavaScript's toISOString gives), for event payloads built in
-- SQL that must read like the API's own answers.
CREATE OR REPLACE FUNCTION api_time(p_at timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
$$;
