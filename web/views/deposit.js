import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, newIdempotencyKey } from '../api.js';
import { formatNaira, parseNaira } from '../money.js';
import { Field, FormError, Heading, html, placeProblem } from '../ui.js';

/**
 * Deposits this tab started, kept across the trip to the checkout page and back. Only references
 * and amounts: never a credential.
 * @typedef {{ reference: string, amount: number | null, status: 'pending' | 'success' | 'failed' }} TrackedDeposit
 */
const STORAGE_KEY = 'wallet.deposits';
/** As many as a user may have pending (SPEC: 10), so the list stays short. */
const MAX_TRACKED = 10;
const POLL_INTERVAL_MS = 1500;
/** Five minutes of polling, then the person can reload to look again. */
const MAX_POLLS = 200;

/** @returns {TrackedDeposit[]} */
function tracked() {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(value) ? value.slice(0, MAX_TRACKED) : [];
  } catch {
    return [];
  }
}

/** @param {TrackedDeposit[]} deposits */
function keep(deposits) {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(deposits.slice(0, MAX_TRACKED)));
}

/**
 * Paystack's checkout sends the payer back with `?reference=…` when PAYSTACK_CALLBACK_URL points
 * here: track that deposit too, then drop the query so a reload does not repeat it.
 */
function adoptReturnedReference() {
  const reference = new URLSearchParams(location.search).get('reference');
  if (reference === null || !/^[A-Za-z0-9.=-]{1,100}$/.test(reference)) return;
  const deposits = tracked();
  if (!deposits.some((deposit) => deposit.reference === reference)) {
    keep([{ reference, amount: null, status: 'pending' }, ...deposits]);
  }
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
}

/**
 * The deposits this tab started, their status polled until each settles; `onSettled` runs when
 * one does (the balance may have changed).
 * @param {{ onSettled?: () => void }} props
 */
export function PendingDeposits({ onSettled }) {
  const [deposits, setDeposits] = useState(() => {
    adoptReturnedReference();
    return tracked();
  });

  useEffect(() => {
    let polls = 0;
    const timer = setInterval(async () => {
      const current = tracked();
      const pending = current.filter((deposit) => deposit.status === 'pending');
      if (pending.length === 0 || ++polls > MAX_POLLS) return clearInterval(timer);
      let settled = false;
      for (const deposit of pending) {
        try {
          const { body } = await call(
            'GET',
            `/wallet/deposit/${encodeURIComponent(deposit.reference)}/status`,
          );
          if (body.status !== 'pending') settled = true;
          deposit.status = body.status;
          deposit.amount = body.amount;
        } catch (error) {
          // A reference the service does not know for this user is dropped; anything else is retried.
          if (error instanceof ApiError && error.problem.code === 'deposit_not_found')
            deposit.status = 'failed';
        }
      }
      keep(current);
      setDeposits([...current]);
      if (settled) onSettled?.();
    }, POLL_INTERVAL_MS);
    return () => clearInterval(timer);
  }, []);

  if (deposits.length === 0) return null;
  return html`<section class="card" aria-labelledby="deposits-heading">
    <h2 id="deposits-heading">Your recent deposits</h2>
    <ul class="plain" aria-live="polite" data-testid="deposits">
      ${deposits.map(
        (deposit) => html`<li key=${deposit.reference}>
          ${deposit.amount === null ? 'Deposit' : formatNaira(deposit.amount)}:
          <strong class=${`status status-${deposit.status}`}>${DEPOSIT_STATUS[deposit.status]}</strong>
          <span class="muted mono small">${deposit.reference}</span>
        </li>`,
      )}
    </ul>
  </section>`;
}

const DEPOSIT_STATUS = {
  pending: 'waiting for payment',
  success: 'paid, in your balance',
  failed: 'failed, nothing was charged',
};

/** A deposit: an amount in naira, then Paystack's checkout page, then back here to watch it settle. */
export function DepositView() {
  const [amount, setAmount] = useState('');
  const [errors, setErrors] = useState(/** @type {{ amount?: string, form?: string }} */ ({}));
  const [busy, setBusy] = useState(false);
  // One key per attempt: pressing Continue twice starts one deposit, not two.
  const [attemptKey, setAttemptKey] = useState(newIdempotencyKey);

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    const parsed = parseNaira(amount);
    if ('error' in parsed) return setErrors({ amount: parsed.error });
    if (parsed.kobo < 100) return setErrors({ amount: 'The smallest deposit is ₦1.00' });
    setBusy(true);
    setErrors({});
    try {
      const { body } = await call('POST', '/wallet/deposit', {
        body: { amount: parsed.kobo },
        idempotencyKey: attemptKey,
      });
      keep([{ reference: body.reference, amount: body.amount, status: 'pending' }, ...tracked()]);
      location.assign(body.authorization_url);
    } catch (error) {
      setBusy(false);
      setAttemptKey(newIdempotencyKey());
      if (!(error instanceof ApiError)) throw error;
      const placed = placeProblem(error.problem);
      setErrors(placed.field === 'amount' ? { amount: placed.message } : { form: placed.message });
    }
  }

  return html`<section>
    <${Heading}>Deposit</${Heading}>
    <form class="card" onSubmit=${submit} noValidate>
      <p>Add money with a card or bank transfer on Paystack’s checkout page; you come back here after paying.</p>
      <${Field}
        id="amount"
        label="Amount in naira"
        hint="From ₦1.00 to ₦10,000,000.00, for example 5,000.00"
        inputMode="decimal"
        value=${amount}
        onInput=${(/** @type {string} */ value) => {
          setAmount(value);
          setErrors({});
        }}
        error=${errors.amount}
      />
      <${FormError} error=${errors.form} />
      <button type="submit" disabled=${busy}>${busy ? 'Opening checkout…' : 'Continue to checkout'}</button>
    </form>
    <${PendingDeposits} />
  </section>`;
}
