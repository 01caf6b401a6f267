-- outbox_emit(user, type, data): records an event for the user's webhook endpoints in the
-- transactional outbox (SPEC "Notifications to client applications"). Called inside the statement
-- or transaction of the money movement it reports, so the event commits with the movement or not
-- at all: never lost after a commit, never invented for a rollback. Delivery workers fan it out
-- to the endpoints and send it later, outside any transaction.
--
-- Only a user with an enabled endpoint that takes this type gets a row: one indexed probe of
-- webhook_endpoints for everyone else, so movements of users without endpoints write nothing. An
-- endpoint created later receives only later events.
CREATE OR REPLACE FUNCTION outbox_emit(p_user uuid, p_type text, p_data jsonb)
RETURNS void
LANGUAGE sql AS $$
  INSERT INTO outbox_events (user_id, type, data)
  SELECT p_user, p_type, p_data
   WHERE EXISTS (SELECT 1 FROM webhook_endpoints e
                  WHERE e.user_id = p_user AND e.status = 'enabled' AND e.deleted_at IS NULL
                    AND (e.events IS NULL OR p_type = ANY (e.events)));
$$;
