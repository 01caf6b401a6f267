import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, newIdempotencyKey, outcomeUnknown } from '../api.js';
import { formatNaira, parseNaira } from '../money.js';
import { AmountField, FormError, focusFirstProblem, Heading, html, placeProblem } from '../ui.js';

/**
 * Deposits this tab started, kept across the trip to the checkout page and back, one list per
 * signed-in user (so the next person to sign in on this tab never sees them), cleared at sign-out.
 * Only references and amounts: never a credential.
 * @typedef {{ reference: string, amount: number | null, status: 'pending' | 'success' | 'failed' }} TrackedDeposit
 */
const STORAGE_PREFIX = 'wallet.deposits';
/** As many as a user may have pending (SPEC: 10), so the list stays short. */
const MAX_TRACKED = 10;
const POLL_INTERVAL_MS = 1500;
/** Five minutes of polling, then the person can reload to look again. */
const MAX_POLLS = 200;
/** The API's bounds for one deposit (SPEC: 100 kobo to ₦10m, Paystack's cap on one transaction). */
const MIN_DEPOSIT_KOBO = 100;
const MAX_DEPOSIT_KOBO = 1_000_000_000;

/** @param {string} userId */
function storageKey(userId) {
  return `${STORAGE_PREFIX}.${userId}`;
}

/**
 * @param {string} userId
 * @returns {TrackedDeposit[]}
 */
function tracked(userId) {
  try {
    const value = JSON.parse(sessionStorage.getItem(storageKey(userId)) ?? '[]');
    return Array.isArray(value) ? value.slice(0, MAX_TRACKED) : [];
  } catch {
    return [];
  }
}

/**
 * @param {string} userId
 * @param {TrackedDeposit[]} deposits
 */
function keep(userId, deposits) {
  sessionStorage.setItem(storageKey(userId), JSON.stringify(deposits.slice(0, MAX_TRACKED)));
}

/** At sign-out: forgets every tracked deposit in this tab (the list without a user too, from before). */
export function forgetDeposits() {
  for (const key of Object.keys(sessionStorage)) {
    if (key === STORAGE_PREFIX || key.startsWith(`${STORAGE_PREFIX}.`)) sessionStorage.removeItem(key);
  }
}

/**
 * Paystack's checkout sends the payer back with `?reference=…` when PAYSTACK_CALLBACK_URL points
 * here: track that deposit too, then drop the query so a reload does not repeat it.
 */
/** @param {string} userId */
function adoptReturnedReference(userId) {
  const reference = new URLSearchParams(location.search).get('reference');
  if (reference === null || !/^[A-Za-z0-9.=-]{1,100}$/.test(reference)) return;
  const deposits = tracked(userId);
  if (!deposits.some((deposit) => deposit.reference === reference)) {
    keep(userId, [{ reference, amount: null, status: 'pending' }, ...deposits]);
  }
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
}

/**
 * The deposits this tab started for this user, their status polled until each settles;
 * `onSettled` runs when one does (the balance may have changed). A reference the service does not
 * know for this user is dropped from the list: it says nothing about a payment.
 * @param {{ userId: string, onSettled?: () => void }} props
 */
export function PendingDeposits({ userId, onSettled }) {
  const [deposits, setDeposits] = useState(() => {
    adoptReturnedReference(userId);
    return tracked(userId);
  });

  useEffect(() => {
    let polls = 0;
    const timer = setInterval(async () => {
      let current = tracked(userId);
      const pending = current.filter((deposit) => deposit.status === 'pending');
      if (pending.length === 0 || ++polls > MAX_POLLS) return clearInterval(timer);
      let settled = false;
      /** @type {Set<string>} */
      const unknown = new Set();
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
          if (
            error instanceof ApiError &&
            (error.problem.code === 'deposit_not_found' || error.problem.status === 404)
          )
            unknown.add(deposit.reference);
        }
      }
      current = current.filter((deposit) => !unknown.has(deposit.reference));
      keep(userId, current);
      setDeposits([...current]);
      if (settled) onSettled?.();
    }, POLL_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [userId]);

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

/**
 * A deposit: an amount in naira, then Paystack's checkout page, then back here to watch it settle.
 * @param {{ session: import('../main.js').Session }} props
 */
export function DepositView({ session }) {
  const [amount, setAmount] = useState('');
  const [errors, setErrors] = useState(/** @type {{ amount?: string, form?: string }} */ ({}));
  const [busy, setBusy] = useState(false);
  // One key per attempt: pressing Continue twice starts one deposit, not two; after a lost answer
  // (or a server error) the same amount is sent again with the same key, so at most one starts.
  const attempt = useRef(/** @type {{ kobo: number, key: string } | null} */ (null));
  const form = useRef(/** @type {HTMLFormElement | null} */ (null));
  useEffect(() => {
    if ((errors.amount || errors.form) && form.current) focusFirstProblem(form.current);
  }, [errors]);

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    const parsed = parseNaira(amount);
    if ('error' in parsed) return setErrors({ amount: parsed.error });
    if (parsed.kobo < MIN_DEPOSIT_KOBO || parsed.kobo > MAX_DEPOSIT_KOBO) {
      return setErrors({
        amount: `A deposit is from ${formatNaira(MIN_DEPOSIT_KOBO)} to ${formatNaira(MAX_DEPOSIT_KOBO)}`,
      });
    }
    if (attempt.current === null || attempt.current.kobo !== parsed.kobo) {
      attempt.current = { kobo: parsed.kobo, key: newIdempotencyKey() };
    }
    setBusy(true);
    setErrors({});
    try {
      const { body } = await call('POST', '/wallet/deposit', {
        body: { amount: parsed.kobo },
        idempotencyKey: attempt.current.key,
      });
      const others = tracked(session.user.id).filter((deposit) => deposit.reference !== body.reference);
      keep(session.user.id, [
        { reference: body.reference, amount: body.amount, status: 'pending' },
        ...others,
      ]);
      location.assign(body.authorization_url);
    } catch (error) {
      setBusy(false);
      if (!(error instanceof ApiError)) throw error;
      if (outcomeUnknown(error.problem)) {
        const detail = error.problem.detail.replace(/[.;:\s]+$/, '');
        setErrors({
          form: `${detail}. A deposit may have been started: continuing with the same amount opens that same deposit, never a second one.`,
        });
        return;
      }
      attempt.current = null;
      const placed = placeProblem(error.problem);
      setErrors(placed.field === 'amount' ? { amount: placed.message } : { form: placed.message });
    }
  }

  return html`<section>
    <${Heading}>Deposit</${Heading}>
    <form class="card" onSubmit=${submit} noValidate ref=${form}>
      <p>Add money with a card or bank transfer on Paystack’s checkout page; you come back here after paying.</p>
      <${AmountField}
        id="amount"
        hint=${`From ${formatNaira(MIN_DEPOSIT_KOBO)} to ${formatNaira(MAX_DEPOSIT_KOBO)}, for example 5,000.00`}
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
    <${PendingDeposits} userId=${session.user.id} />
  </section>`;
}
