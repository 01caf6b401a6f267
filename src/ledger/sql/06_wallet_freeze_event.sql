-- wallet_freeze_event(wallet account): records `wallet.frozen` or `wallet.unfrozen` in the outbox
-- (outbox_emit) from the wallet as it is now in this transaction: its number, whether it is
-- frozen, its debt in kobo, and, while frozen, the reason. The one place that shapes these events,
-- whoever froze or unfroze the wallet (a refund, a repaid debt, a dispute, an operator). Call it
-- after the change, in the same transaction.
CREATE OR REPLACE FUNCTION wallet_freeze_event(p_wallet bigint)
RETURNS void
LANGUAGE sql AS $$
  SELECT outbox_emit(
           w.user_id,
           CASE WHEN w.frozen_at IS NULL THEN 'wallet.unfrozen' ELSE 'wallet.frozen' END,
           jsonb_build_object('wallet_number', w.wallet_number, 'frozen', w.frozen_at IS NOT NULL,
                              'debt', coalesce(-d.balance, 0))
             || CASE WHEN w.frozen_at IS NULL THEN '{}'::jsonb
                     ELSE jsonb_build_object('reason', w.frozen_reason) END)
    FROM wallets w LEFT JOIN accounts d ON d.id = w.debt_account_id
   WHERE w.account_id = p_wallet;
$$;
