-- The Paystack clearing account becomes 16 sub-accounts, paystack:clearing:0 … :15, whose sum is
-- what Paystack owes the service (see clearing_account in src/ledger/sql). Every credit and every
-- payout used to update the one row and queue for its lock; spread over 16 rows, concurrent
-- postings rarely meet. The existing account keeps its id, balance and entries as sub-account 0.
UPDATE "accounts" SET "system_code" = 'paystack:clearing:0' WHERE "system_code" = 'paystack:clearing';
--> statement-breakpoint
INSERT INTO "accounts" ("kind", "system_code")
SELECT 'system', 'paystack:clearing:' || n FROM generate_series(1, 15) AS n;
