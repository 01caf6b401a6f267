-- wallet_transfer(sender user id, recipient wallet number, amount in kobo, reference): a
-- wallet-to-wallet transfer in one statement, returning the sender's balance after it.
--
-- Guarantees: resolves the sender's wallet (by user) and the recipient's (by wallet number) and
-- posts sender -amount / recipient +amount through ledger_post, in the same statement, so the
-- client pays one round trip per transfer and a refusal changes nothing. Everything ledger_post
-- guarantees holds (no wallet below zero, no deadlock between crossing transfers, a reference
-- posted at most once).
--
-- The amount must be positive: the API validates it at the edge, and this function refuses any
-- other with WL002 as well, because a negative one would pull money out of the recipient's wallet.
--
-- It records `transfer.sent` for the sender and `transfer.received` for the recipient in the
-- outbox (outbox_emit), each carrying the transaction as GET /wallet/transactions shows it to
-- that user. A frozen sender sends nothing (WL009). A recipient that owes money (a refund's shortfall)
-- repays its debt from what it receives, in the same statement (wallet_repay_debt).
--
-- Raises: WL002 an amount that is not positive; WL003 self transfer; WL004 no wallet has the
-- recipient's number; WL005 the sender has no wallet; WL009 the sender is frozen; from ledger_post: WL001 insufficient
-- funds, 23505 the reference was posted already. The service maps these to its error codes (src/ledger/transfer.ts).
CREATE OR REPLACE FUNCTION wallet_transfer(p_sender_user uuid, p_recipient_wallet_number text, p_amount bigint, p_reference text)
RETURNS TABLE (sender_balance bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_sender bigint;
  v_sender_number text;
  v_sender_frozen timestamptz;
  v_recipient bigint;
  v_recipient_user uuid;
  v_recipient_debt bigint;
  v_transaction_id uuid;
  v_sent_at timestamptz;
  v_received_at timestamptz;
  v_entry record;
  v_event jsonb;
BEGIN
  IF p_amount IS NULL OR p_amount <= 0 THEN
    RAISE EXCEPTION 'wallet_transfer: amount % is not positive', p_amount USING ERRCODE = 'WL002';
  END IF;
  SELECT account_id, wallet_number, frozen_at INTO v_sender, v_sender_number, v_sender_frozen
    FROM wallets WHERE user_id = p_sender_user;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'wallet_transfer: user % has no wallet', p_sender_user USING ERRCODE = 'WL005';
  END IF;
  IF v_sender_number = p_recipient_wallet_number THEN
    RAISE EXCEPTION 'wallet_transfer: self transfer' USING ERRCODE = 'WL003';
  END IF;
  SELECT account_id, user_id, debt_account_id INTO v_recipient, v_recipient_user, v_recipient_debt
    FROM wallets WHERE wallet_number = p_recipient_wallet_number;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'wallet_transfer: no wallet %', p_recipient_wallet_number USING ERRCODE = 'WL004';
  END IF;
  -- After the request's own mistakes (self, unknown recipient), before its funds.
  IF v_sender_frozen IS NOT NULL THEN
    RAISE EXCEPTION 'wallet_transfer: the sender''s wallet is frozen' USING ERRCODE = 'WL009';
  END IF;
  -- One row per entry: the sender's balance, and each side's own time, as its history shows it.
  FOR v_entry IN
    SELECT * FROM ledger_post(p_reference, 'transfer', ARRAY[v_sender, v_recipient], ARRAY[-p_amount, p_amount])
  LOOP
    v_transaction_id := v_entry.transaction_id;
    IF v_entry.account_id = v_sender THEN
      sender_balance := v_entry.balance_after;
      v_sent_at := v_entry.created_at;
    ELSE
      v_received_at := v_entry.created_at;
    END IF;
  END LOOP;
  IF v_recipient_debt IS NOT NULL THEN
    PERFORM wallet_repay_debt(v_recipient, v_recipient_debt, p_reference);
  END IF;
  -- Most users have no webhook endpoint: one probe for both sides, and events are built only when
  -- someone will receive them (a transfer is the hottest path; see docs/PERFORMANCE.md).
  IF EXISTS (SELECT 1 FROM webhook_endpoints e
              WHERE e.user_id IN (p_sender_user, v_recipient_user) AND e.status = 'enabled' AND e.deleted_at IS NULL) THEN
    v_event := jsonb_build_object('id', v_transaction_id, 'reference', p_reference, 'type', 'transfer',
                                  'amount', p_amount, 'status', 'success');
    PERFORM outbox_emit(p_sender_user, 'transfer.sent', v_event || jsonb_build_object(
      'direction', 'debit', 'counterparty_wallet_number', p_recipient_wallet_number, 'created_at', api_time(v_sent_at)));
    PERFORM outbox_emit(v_recipient_user, 'transfer.received', v_event || jsonb_build_object(
      'direction', 'credit', 'counterparty_wallet_number', v_sender_number, 'created_at', api_time(v_received_at)));
  END IF;
  RETURN NEXT;
END;
$$;
