-- ledger_post(reference, kind, accounts[], amounts[]): posts one balanced ledger transaction and
-- returns one row per entry (transaction id, the entry's created_at, account id, balance_after). Every
-- movement of money goes through it; wallet_transfer, deposit_credit, withdrawal_hold and
-- withdrawal_settle call it.
--
-- Guarantees:
-- - One statement: atomic alone, or part of the caller's transaction. Row locks are held only
--   while the server executes it (plus the caller's commit), never across client round trips.
-- - The postings are two or more distinct accounts with non-zero amounts summing to zero, given
--   as two arrays numbered from 1 with one amount per account; anything else changes nothing.
-- - Balances change through guarded single-row UPDATEs in ascending account id order. Under READ
--   COMMITTED PostgreSQL re-checks the guard after a concurrent writer commits, so there is no
--   lost update and no wallet below zero (only system accounts may go negative); the fixed order
--   rules out deadlocks between postings touching the same accounts.
-- - Each entry is inserted with its balance_after while its account row is locked, so entry ids
--   grow in commit order per account (history pagination relies on it). Its created_at is the
--   clock at that moment (clock_timestamp(), not the transaction's start now()), so per account
--   the order of ids and the order of created_at agree: history shows both.
-- - The ledger_transactions row carries the reference, unique: posting a reference twice fails
--   with 23505 (unique_violation) rather than moving money twice.
--
-- Raises: WL001 a debit would take a wallet below zero; WL002 malformed postings or an unknown
-- account; 23505 the reference was posted already; 23514 a kind the check on ledger_transactions
-- does not list (LEDGER_KINDS in src/db/schema.ts).
--
-- Validation and ordering are plpgsql loops over the arrays (simple expressions) rather than
-- unnest subqueries and a sorting query, each of which would start an executor: postings hold two
-- or three entries, so the quadratic loops are the fast ones here.
CREATE OR REPLACE FUNCTION ledger_post(p_reference text, p_kind text, p_accounts bigint[], p_amounts bigint[])
RETURNS TABLE (transaction_id uuid, created_at timestamptz, account_id bigint, balance_after bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_count int := coalesce(array_length(p_accounts, 1), 0);
  v_sum bigint := 0;
  v_order int[] := '{}';
  v_transaction_id uuid;
  v_balance bigint;
  v_index int;
  v_position int;
BEGIN
  IF v_count < 2 OR v_count <> coalesce(array_length(p_amounts, 1), 0)
     OR array_lower(p_accounts, 1) <> 1 OR array_lower(p_amounts, 1) <> 1 THEN
    RAISE EXCEPTION 'ledger_post: postings must be two or more accounts with one amount each'
      USING ERRCODE = 'WL002';
  END IF;
  FOR i IN 1 .. v_count LOOP
    IF p_accounts[i] IS NULL OR p_amounts[i] IS NULL OR p_amounts[i] = 0 THEN
      RAISE EXCEPTION 'ledger_post: posting % has no account or a zero amount', i USING ERRCODE = 'WL002';
    END IF;
    v_sum := v_sum + p_amounts[i];
    -- Insertion sort of the positions by account id, rejecting a repeated account on the way.
    v_position := 1;
    FOR j IN 1 .. i - 1 LOOP
      IF p_accounts[v_order[j]] = p_accounts[i] THEN
        RAISE EXCEPTION 'ledger_post: account % appears twice', p_accounts[i] USING ERRCODE = 'WL002';
      END IF;
      IF p_accounts[v_order[j]] < p_accounts[i] THEN
        v_position := j + 1;
      END IF;
    END LOOP;
    v_order := v_order[1 : v_position - 1] || i || v_order[v_position : i - 1];
  END LOOP;
  IF v_sum <> 0 THEN
    RAISE EXCEPTION 'ledger_post: amounts sum to % instead of zero', v_sum USING ERRCODE = 'WL002';
  END IF;

  INSERT INTO ledger_transactions (reference, kind)
  VALUES (p_reference, p_kind)
  RETURNING ledger_transactions.id INTO v_transaction_id;

  FOREACH v_index IN ARRAY v_order LOOP
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
    VALUES (v_transaction_id, p_accounts[v_index], p_amounts[v_index], v_balance, clock_timestamp())
    RETURNING ledger_entries.created_at INTO created_at;

    transaction_id := v_transaction_id;
    account_id := p_accounts[v_index];
    balance_after := v_balance;
    RETURN NEXT;
  END LOOP;
END;
$$;
