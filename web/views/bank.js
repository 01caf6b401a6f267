import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call } from '../api.js';
import { useAttempt } from '../attempt.js';
import { formatNaira, parseNaira } from '../money.js';
import {
  AmountField,
  ConfirmActions,
  Field,
  FormError,
  focusFirstProblem,
  Heading,
  html,
  placeProblem,
} from '../ui.js';

/**
 * @typedef {{ id: string, bank_code: string, bank_name: string, account_number: string,
 *   account_name: string, created_at: string }} BankAccount
 * @typedef {{ reference: string, status: string, amount: number, fee: number, total: number,
 *   bank_account: BankAccount, failure_reason?: string | null }} Withdrawal
 */

const MIN_WITHDRAWAL_KOBO = 10_000;
const MAX_WITHDRAWAL_KOBO = 1_000_000_000;
const POLL_INTERVAL_MS = 1500;
const MAX_POLLS = 200;
/**
 * After `success` a bank can still reverse a transfer (Paystack sends `transfer.reversed`): the
 * page keeps looking for this long, less often each time, so a reversal soon after shows here.
 */
const WATCH_AFTER_SUCCESS_MS = 30_000;

/**
 * Paystack's NGN transfer fee as SPEC states it (₦10 up to ₦5,000, ₦25 up to ₦50,000, ₦50 above),
 * to show the total before the person confirms; the service computes the fee it charges, and the
 * page shows the service's figures once the withdrawal is accepted.
 * @param {number} kobo
 */
function expectedFee(kobo) {
  if (kobo <= 500_000) return 1_000;
  if (kobo <= 5_000_000) return 2_500;
  return 5_000;
}

/** @type {Record<string, string>} */
const WITHDRAWAL_STATUS = {
  pending: 'on its way to the bank',
  success: 'sent to the bank; if the bank reverses it, the money comes back to your wallet',
  failed: 'failed; the money is back in your wallet',
  reversed: 'reversed by the bank; the money is back in your wallet',
};

/** Saved bank accounts (resolved, with the holder's name) and withdrawals to them. */
export function BankView() {
  const [accounts, setAccounts] = useState(/** @type {BankAccount[] | null} */ (null));
  const [listError, setListError] = useState(/** @type {string | null} */ (null));

  function refresh() {
    call('GET', '/wallet/bank-accounts')
      .then(({ body }) => setAccounts(body))
      .catch((error) => setListError(error instanceof ApiError ? error.problem.detail : String(error)));
  }
  useEffect(refresh, []);

  /** @param {string} id */
  async function remove(id) {
    try {
      await call('DELETE', `/wallet/bank-accounts/${id}`);
      refresh();
    } catch (error) {
      setListError(error instanceof ApiError ? error.problem.detail : String(error));
    }
  }

  return html`<section>
    <${Heading}>Withdraw to a bank</${Heading}>
    <${WithdrawForm} accounts=${accounts ?? []} />
    <section class="card" aria-labelledby="accounts-heading">
      <h2 id="accounts-heading">Saved bank accounts</h2>
      <${FormError} error=${listError} />
      ${accounts !== null && accounts.length === 0 ? html`<p>No saved accounts yet: add one below.</p>` : null}
      <ul class="plain" data-testid="bank-accounts">
        ${(accounts ?? []).map(
          (account) => html`<li key=${account.id} class="row spread">
            <span><strong>${account.account_name}</strong><br />
              <span class="muted">${account.bank_name} · <span class="mono">${account.account_number}</span></span></span>
            <button type="button" class="secondary" onClick=${() => remove(account.id)}
              aria-label=${`Remove ${account.account_name}, ${account.bank_name} ${account.account_number}`}>Remove</button>
          </li>`,
        )}
      </ul>
    </section>
    <${AddAccountForm} onSaved=${refresh} />
  </section>`;
}

/** @param {{ onSaved: () => void }} props */
function AddAccountForm({ onSaved }) {
  const [banks, setBanks] = useState(/** @type {{ name: string, code: string }[]} */ ([]));
  const [bankCode, setBankCode] = useState('');
  const [accountNumber, setAccountNumber] = useState('');
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [saved, setSaved] = useState(/** @type {BankAccount | null} */ (null));
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    call('GET', '/banks')
      .then(({ body }) => setBanks(body))
      .catch((error) =>
        setErrors({ form: error instanceof ApiError ? error.problem.detail : String(error) }),
      );
  }, []);

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    /** @type {Record<string, string>} */
    const found = {};
    if (bankCode === '') found.bank_code = 'Choose the bank';
    if (!/^\d{10}$/.test(accountNumber)) found.account_number = 'An account number (NUBAN) has 10 digits';
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const { body } = await call('POST', '/wallet/bank-accounts', {
        body: { bank_code: bankCode, account_number: accountNumber },
      });
      setSaved(body);
      setAccountNumber('');
      onSaved();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const placed = placeProblem(error.problem, {
        bank_account_unresolvable: 'account_number',
        invalid_bank_code: 'bank_code',
      });
      setErrors(placed.field === null ? { form: placed.message } : { [placed.field]: placed.message });
    } finally {
      setBusy(false);
    }
  }

  return html`<form class="card" onSubmit=${submit} noValidate aria-labelledby="add-account-heading">
    <h2 id="add-account-heading">Add a bank account</h2>
    <div class="field">
      <label for="bank_code">Bank</label>
      <select id="bank_code" value=${bankCode} aria-invalid=${errors.bank_code ? 'true' : 'false'}
        aria-describedby=${errors.bank_code ? 'bank_code-error' : undefined}
        onChange=${(/** @type {Event} */ event) => setBankCode(/** @type {HTMLSelectElement} */ (event.currentTarget).value)}>
        <option value="">Choose a bank</option>
        ${banks.map((bank) => html`<option key=${bank.code} value=${bank.code}>${bank.name}</option>`)}
      </select>
      ${errors.bank_code ? html`<p class="error" id="bank_code-error">${errors.bank_code}</p>` : null}
    </div>
    <${Field} id="account_number" label="Account number" hint="10 digits" inputMode="numeric" maxLength=${10}
      value=${accountNumber} onInput=${(/** @type {string} */ value) => {
        setAccountNumber(value.trim());
        setErrors({});
      }} error=${errors.account_number} />
    <${FormError} error=${errors.form} />
    ${saved ? html`<p role="status">Saved: the account belongs to <strong data-testid="account-name">${saved.account_name}</strong>.</p>` : null}
    <button type="submit" disabled=${busy}>${busy ? 'Checking the account…' : 'Check and save'}</button>
  </form>`;
}

/** @param {{ accounts: BankAccount[] }} props */
function WithdrawForm({ accounts }) {
  const [accountId, setAccountId] = useState('');
  const [amount, setAmount] = useState('');
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [withdrawal, setWithdrawal] = useState(/** @type {Withdrawal | null} */ (null));
  const attempt = useAttempt(
    /** @type {(open: { account: BankAccount, kobo: number }, next: { account: BankAccount, kobo: number }) => boolean} */
    (open, next) => open.account.id === next.account.id && open.kobo === next.kobo,
  );
  const { reviewed: review, busy, unknown } = attempt;
  const form = useRef(/** @type {HTMLElement | null} */ (null));
  useEffect(() => {
    if (review !== null) document.getElementById('review-heading')?.focus();
  }, [review !== null]);
  useEffect(() => {
    if (Object.keys(errors).length > 0 && form.current) focusFirstProblem(form.current);
  }, [errors]);
  useEffect(() => {
    if (unknown !== null && form.current) focusFirstProblem(form.current);
  }, [unknown]);

  // The accepted withdrawal's status, polled until Paystack settles it, then for a while after a
  // success in case the bank reverses it.
  useEffect(() => {
    if (withdrawal === null || withdrawal.status === 'failed' || withdrawal.status === 'reversed') {
      return undefined;
    }
    const reference = withdrawal.reference;
    let polls = 0;
    /** @type {number | null} */
    let succeededAt = withdrawal.status === 'success' ? Date.now() : null;
    let delay = POLL_INTERVAL_MS;
    let stopped = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const tick = async () => {
      if (stopped) return;
      try {
        const { body } = await call('GET', `/wallet/withdrawals/${reference}`);
        if (stopped) return;
        setWithdrawal(body);
        if (body.status === 'failed' || body.status === 'reversed') return;
        if (body.status === 'success') {
          succeededAt ??= Date.now();
          delay = Math.min(delay * 2, 8_000);
        }
      } catch {
        // Retried at the next tick; the status stays as last seen.
      }
      if (++polls > MAX_POLLS) return;
      if (succeededAt !== null && Date.now() - succeededAt >= WATCH_AFTER_SUCCESS_MS) return;
      timer = setTimeout(tick, delay);
    };
    timer = setTimeout(tick, delay);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [withdrawal?.reference]);

  /** @param {Event} event */
  function toReview(event) {
    event.preventDefault();
    const account = accounts.find((candidate) => candidate.id === accountId);
    const parsed = parseNaira(amount);
    /** @type {Record<string, string>} */
    const found = {};
    if (!account) found.bank_account_id = 'Choose the account to pay to';
    if ('error' in parsed) found.amount = parsed.error;
    else if (parsed.kobo < MIN_WITHDRAWAL_KOBO || parsed.kobo > MAX_WITHDRAWAL_KOBO) {
      found.amount = `A withdrawal is from ${formatNaira(MIN_WITHDRAWAL_KOBO)} to ${formatNaira(MAX_WITHDRAWAL_KOBO)}`;
    }
    setErrors(found);
    if (!account || 'error' in parsed || Object.keys(found).length > 0) return;
    attempt.review({ account, kobo: parsed.kobo });
  }

  async function confirm() {
    const sent = await attempt.send((review) =>
      call('POST', '/wallet/withdrawals', {
        body: { amount: review.kobo, bank_account_id: review.account.id },
        idempotencyKey: review.key,
      }),
    );
    if (sent === undefined) return;
    if ('refusal' in sent) {
      const placed = placeProblem(sent.refusal, {
        insufficient_funds: 'amount',
        bank_account_not_found: 'bank_account_id',
      });
      setErrors(placed.field === null ? { form: placed.message } : { [placed.field]: placed.message });
      return;
    }
    setWithdrawal(sent.result.body);
    setAmount('');
  }

  if (review !== null) {
    const fee = expectedFee(review.kobo);
    return html`<div class="card" aria-labelledby="review-heading" ref=${form}>
      <h2 id="review-heading" tabindex="-1">Confirm the withdrawal</h2>
      <dl class="summary">
        <dt>To</dt><dd>${review.account.account_name}, ${review.account.bank_name} <span class="mono">${review.account.account_number}</span></dd>
        <dt>Amount</dt><dd>${formatNaira(review.kobo)}</dd>
        <dt>Paystack’s fee</dt><dd data-testid="fee">${formatNaira(fee)}</dd>
        <dt>Taken from your wallet</dt><dd data-testid="total"><strong>${formatNaira(review.kobo + fee)}</strong></dd>
      </dl>
      <${ConfirmActions}
        unknown=${unknown}
        retryNote="The withdrawal may have been made: Try again sends this same withdrawal, and it is made at most once."
        busy=${busy}
        action="Withdraw"
        busyLabel="Withdrawing…"
        onSend=${confirm}
        onChange=${attempt.back}
      />
    </div>`;
  }

  return html`<form class="card" onSubmit=${toReview} noValidate aria-labelledby="withdraw-heading" ref=${form}>
    <h2 id="withdraw-heading">New withdrawal</h2>
    <div class="field">
      <label for="bank_account_id">Pay to</label>
      <select id="bank_account_id" value=${accountId} aria-invalid=${errors.bank_account_id ? 'true' : 'false'}
        aria-describedby=${errors.bank_account_id ? 'bank_account_id-error' : undefined}
        onChange=${(/** @type {Event} */ event) => setAccountId(/** @type {HTMLSelectElement} */ (event.currentTarget).value)}>
        <option value="">Choose a saved account</option>
        ${accounts.map(
          (account) => html`<option key=${account.id} value=${account.id}>
            ${account.account_name}, ${account.bank_name} ${account.account_number}
          </option>`,
        )}
      </select>
      ${errors.bank_account_id ? html`<p class="error" id="bank_account_id-error">${errors.bank_account_id}</p>` : null}
    </div>
    <${AmountField} id="withdraw_amount" hint="₦100.00 to ₦10,000,000.00; Paystack’s fee is added"
      value=${amount} onInput=${(/** @type {string} */ value) => {
        setAmount(value);
        setErrors({});
      }} error=${errors.amount} />
    <${FormError} error=${errors.form} />
    ${
      withdrawal
        ? html`<p role="status" data-testid="withdrawal-status">
            ${formatNaira(withdrawal.amount)} to ${withdrawal.bank_account.account_name} (fee ${formatNaira(withdrawal.fee)},
            total ${formatNaira(withdrawal.total)}): <strong>${WITHDRAWAL_STATUS[withdrawal.status] ?? withdrawal.status}</strong>
            ${withdrawal.failure_reason ? html` (${withdrawal.failure_reason})` : null}
          </p>`
        : null
    }
    <button type="submit">Review</button>
  </form>`;
}
