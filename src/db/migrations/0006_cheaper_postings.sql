-- ledger_post as in 0004, with the same effects and checks, but cheaper per call: the
-- postings are validated and ordered with plpgsql loops over the arrays (simple expressions)
-- instead of four unnest subqueries and a sorting query, each of which started an executor.
-- Postings hold two or three entries, so the quadratic loops are the fast ones here. The loops
-- index the arrays by position, so arrays not numbered from 1 are now refused too.
CREATE OR REPLACE FUNCTION ledger_post(p_reference text, p_kind text, p_accounts bigint[], p_amounts bigint[])
RETURNS TABLE (transaction_id uuid, created_at timestamptz, account_id bigint, balance_after bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_count int := coalesce(array_length(p_accounts, 1), 0);
  v_sum bigint := 0;
  v_order int[] := '{}';
  v_transaction_id uuid;
  v_created_at timestamptz;
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
  RETURNING ledger_transactions.id, ledger_transactions.created_at INTO v_transaction_id, v_created_at;

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
    VALUES (v_transaction_id, p_accounts[v_index], p_amounts[v_index], v_balance, v_created_at);

    transaction_id := v_transaction_id;
    created_at := v_created_at;
    account_id := p_accounts[v_index];
    balance_after := v_balance;
    RETURN NEXT;
  END LOOP;
END;
$$;
--> statement-breakpoint
-- Credits a successful deposit to its owner's wallet against the Paystack clearing account and
-- links the deposit to the ledger transaction, in one statement. The webhook calls it right
-- before COMMIT, so the clearing account's row lock, which every credit queues for, is held for
-- this statement and the commit only. The caller has already claimed the deposit (status
-- 'success') in the same transaction; a deposit not claimed, or credited already, raises WL006.
CREATE FUNCTION deposit_credit(p_deposit_id uuid)
RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  v_reference text;
  v_amount bigint;
  v_wallet bigint;
  v_clearing bigint;
  v_transaction_id uuid;
BEGIN
  SELECT d.reference, d.amount, w.account_id INTO v_reference, v_amount, v_wallet
    FROM deposits d JOIN wallets w ON w.user_id = d.user_id
   WHERE d.id = p_deposit_id AND d.status = 'success' AND d.ledger_transaction_id IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'deposit_credit: deposit % is not a claimed, uncredited deposit with a wallet', p_deposit_id
      USING ERRCODE = 'WL006';
  END IF;
  SELECT id INTO STRICT v_clearing FROM accounts WHERE system_code = 'paystack:clearing';

  -- DISTINCT reads every row ledger_post returns (one per entry, all of one transaction).
  SELECT DISTINCT p.transaction_id INTO STRICT v_transaction_id
    FROM ledger_post(v_reference, 'deposit', ARRAY[v_wallet, v_clearing], ARRAY[v_amount, -v_amount]) p;

  UPDATE deposits SET ledger_transaction_id = v_transaction_id WHERE id = p_deposit_id;
  RETURN v_transaction_id;
END;
$$;
