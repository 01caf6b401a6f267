-- system_sub_account(prefix, reference): the sub-account of a split system account that a posting
-- with this ledger reference uses: `<prefix>:0` … `<prefix>:15` (migration 0012 made them for
-- paystack:clearing and withdrawals:in_flight).
--
-- Guarantees: the same reference always picks the same sub-account, so an auditor can recompute
-- it and a withdrawal's settlement finds the sub-account its hold used; references, being random,
-- spread postings evenly over the 16, so concurrent postings rarely queue for one row's lock.
-- Which one is used changes no balance that matters: the account's balance is the sum of its
-- sub-accounts (ledger:check), and each may go below zero as any system account may. ledger_post
-- locks accounts in ascending id order, so sub-accounts made after wallets add no deadlock.
--
-- Raises: no_data_found if the sub-account is missing (migrations not applied).
CREATE OR REPLACE FUNCTION system_sub_account(p_prefix text, p_reference text)
RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_account bigint;
BEGIN
  SELECT id INTO STRICT v_account FROM accounts
   WHERE system_code = p_prefix || ':' || (abs(hashtext(p_reference)::bigint) % 16);
  RETURN v_account;
END;
$$;
