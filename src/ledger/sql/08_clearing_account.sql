-- clearing_account(reference): the Paystack clearing sub-account a posting with this ledger
-- reference uses, one of paystack:clearing:0 … :15 (migration 0012 made them).
--
-- Guarantees: the same reference always picks the same sub-account, so an auditor can recompute
-- it, and references, being random, spread postings evenly over the 16: concurrent deposits and
-- payouts rarely queue for one row's lock. Which one is used changes no balance that matters: the
-- clearing balance is the sum of the sub-accounts (ledger:check), and each may go below zero as
-- any system account may. ledger_post locks accounts in ascending id order, so sub-accounts
-- created after wallets add no deadlock.
--
-- Raises: no_data_found if the sub-account is missing (migrations not applied).
CREATE OR REPLACE FUNCTION clearing_account(p_reference text)
RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_account bigint;
BEGIN
  SELECT id INTO STRICT v_account FROM accounts
   WHERE system_code = 'paystack:clearing:' || (abs(hashtext(p_reference)::bigint) % 16);
  RETURN v_account;
END;
$$;
