-- Posts one balanced ledger transaction in a single statement, so the row locks it takes are held
-- only while the server executes it (plus the caller's commit), not across client round trips.
-- Balances change through guarded UPDATEs in ascending account id order: PostgreSQL re-checks the
-- guard after a concurrent writer commits (no lost update, no negative wallet) and the fixed order
-- rules out deadlocks between postings touching the same accounts. Each entry is inserted while
-- its account row is locked, so entry ids grow in commit order per account (history pagination
-- relies on it). A refused debit raises SQLSTATE WL001 and the statement changes nothing.
CREATE FUNCTION ledger_post(p_reference text, p_kind text, p_accounts bigint[], p_amounts bigint[])
RETURNS TABLE (transaction_id uuid, created_at timestamptz, account_id bigint, balance_after bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_transaction_id uuid;
  v_created_at timestamptz;
  v_balance bigint;
  v_index int;
BEGIN
  IF coalesce(array_length(p_accounts, 1), 0) < 2
     OR array_length(p_accounts, 1) <> array_length(p_amounts, 1)
     OR (SELECT count(DISTINCT a) FROM unnest(p_accounts) a) <> array_length(p_accounts, 1)
     OR EXISTS (SELECT 1 FROM unnest(p_amounts) x WHERE x IS NULL OR x = 0)
     OR (SELECT sum(x) FROM unnest(p_amounts) x) <> 0 THEN
    RAISE EXCEPTION 'ledger_post: postings must be two or more distinct accounts with non-zero amounts summing to zero'
      USING ERRCODE = 'WL002';
  END IF;

  INSERT INTO ledger_transactions (reference, kind)
  VALUES (p_reference, p_kind)
  RETURNING ledger_transactions.id, ledger_transactions.created_at INTO v_transaction_id, v_created_at;

  FOR v_index IN
    SELECT t.ord FROM unnest(p_accounts) WITH ORDINALITY AS t(account, ord) ORDER BY t.account
  LOOP
    UPDATE accounts
       SET balance = balance + p_amounts[v_index]
     WHERE id = p_accounts[v_index]
       AND (kind = 'system' OR balance + p_amounts[v_index] >= 0)
    RETURNING balance INTO v_balance;
    IF NOT FOUND THEN
      IF p_amounts[v_index] < 0 AND EXISTS (SELECT 1 FROM accounts WHERE id = p_accounts[v_index]) THEN
        RAISE EXCEPTION 'ledger_post: insufficient funds in account %', p_accounts[v_index] USING ERRCODE = 'WL001';
      END IF;
      RAISE EXCEPTION 'ledger_post: no account %', p_accounts[v_index] USING ERRCODE = 'WL002';
    END IF;

    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after, created_at)
    VALUES (v_transaction_id, p_accounts[v_index], p_amounts[v_index], v_balance, v_created_at);

    transaction_id := v_transaction_id;
    created_at := v_created_at;
    account_id := p_accounts[v_index];
    balance_after := v_balance;
    RETURN NEXT;
  END LOOP;
END;
$$;
