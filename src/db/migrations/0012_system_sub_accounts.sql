-- The two system accounts every money movement of a kind used to meet on become 16 sub-accounts
-- each, whose sums are what they were (see system_sub_account in src/ledger/sql):
-- paystack:clearing:0 … :15 (every deposit credit and payout) and withdrawals:in_flight:0 … :15
-- (every withdrawal's hold and settlement). On one row, concurrent postings queued for its lock,
-- and a queue of 32 waiters on a row lock moves far slower than 32 times one; spread over 16 rows
-- they rarely meet. The existing accounts keep their ids, balances and entries as sub-account 0.
UPDATE "accounts" SET "system_code" = 'paystack:clearing:0' WHERE "system_code" = 'paystack:clearing';
--> statement-breakpoint
UPDATE "accounts" SET "system_code" = 'withdrawals:in_flight:0' WHERE "system_code" = 'withdrawals:in_flight';
--> statement-breakpoint
INSERT INTO "accounts" ("kind", "system_code")
SELECT 'system', prefix || ':' || n
  FROM (VALUES ('paystack:clearing'), ('withdrawals:in_flight')) AS prefixes (prefix),
       generate_series(1, 15) AS n;
