import { useRef, useState } from 'preact/hooks';
import { ApiError, call, newIdempotencyKey } from '../api.js';
import { formatNaira, parseNaira, walletNumberProblem } from '../money.js';
import { Field, FormError, Heading, html, placeProblem } from '../ui.js';

/** Refusals that concern one field, so they are shown beside it. */
const CODE_FIELDS = {
  wallet_not_found: 'wallet_number',
  self_transfer: 'wallet_number',
  invalid_wallet_number: 'wallet_number',
  insufficient_funds: 'amount',
};

/**
 * Send money: the recipient's number checked as it is typed, a confirmation that shows it, and
 * one Idempotency-Key per confirmed attempt, so a double click (or a retry after a lost answer)
 * pays once.
 */
export function SendView() {
  const [walletNumber, setWalletNumber] = useState('');
  const [amount, setAmount] = useState('');
  const [touched, setTouched] = useState(false);
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [review, setReview] = useState(
    /** @type {{ walletNumber: string, kobo: number, key: string } | null} */ (null),
  );
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(
    /** @type {{ amount: number, recipient: string, balance: number, reference: string } | null} */ (null),
  );
  // Set at once on the first click, before the re-render that disables the button.
  const sending = useRef(false);

  // Checked as typed: a stray character at once, the length and check digit once all 13 are in.
  const numberProblem = touched || /[^\d\s]/.test(walletNumber) ? walletNumberProblem(walletNumber) : null;

  /** @param {Event} event */
  function toReview(event) {
    event.preventDefault();
    setTouched(true);
    const problem = walletNumberProblem(walletNumber);
    const parsed = parseNaira(amount);
    /** @type {Record<string, string>} */
    const found = {};
    if (problem) found.wallet_number = problem;
    if ('error' in parsed) found.amount = parsed.error;
    setErrors(found);
    if (problem || 'error' in parsed) return;
    setReview({ walletNumber: walletNumber.replace(/\s/g, ''), kobo: parsed.kobo, key: newIdempotencyKey() });
  }

  async function confirm() {
    if (review === null || sending.current) return;
    sending.current = true;
    setBusy(true);
    try {
      const { body } = await call('POST', '/wallet/transfer', {
        body: { wallet_number: review.walletNumber, amount: review.kobo },
        idempotencyKey: review.key,
      });
      setDone({
        amount: body.amount,
        recipient: body.recipient_wallet_number,
        balance: body.balance,
        reference: body.reference,
      });
      setReview(null);
      setWalletNumber('');
      setAmount('');
      setTouched(false);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const placed = placeProblem(error.problem, CODE_FIELDS);
      setErrors(placed.field === null ? { form: placed.message } : { [placed.field]: placed.message });
      setReview(null);
    } finally {
      sending.current = false;
      setBusy(false);
    }
  }

  if (done !== null) {
    return html`<section>
      <${Heading}>Money sent</${Heading}>
      <div class="card" role="status">
        <p>You sent <strong>${formatNaira(done.amount)}</strong> to wallet <span class="mono">${done.recipient}</span>.</p>
        <p>Your balance is now <strong data-testid="balance-after">${formatNaira(done.balance)}</strong>.</p>
        <p class="muted small">Reference <span class="mono">${done.reference}</span></p>
        <button type="button" onClick=${() => setDone(null)}>Send more</button>
      </div>
    </section>`;
  }

  if (review !== null) {
    return html`<section>
      <${Heading}>Confirm the payment</${Heading}>
      <div class="card">
        <dl class="summary">
          <dt>To wallet</dt><dd class="mono" data-testid="confirm-recipient">${review.walletNumber}</dd>
          <dt>Amount</dt><dd data-testid="confirm-amount">${formatNaira(review.kobo)}</dd>
        </dl>
        <p>Check the wallet number: a payment cannot be taken back.</p>
        <div class="row">
          <button type="button" onClick=${confirm} disabled=${busy}>${busy ? 'Sending…' : 'Send'}</button>
          <button type="button" class="secondary" onClick=${() => setReview(null)} disabled=${busy}>Change</button>
        </div>
      </div>
    </section>`;
  }

  return html`<section>
    <${Heading}>Send money</${Heading}>
    <form class="card" onSubmit=${toReview} noValidate>
      <${Field}
        id="wallet_number"
        label="Recipient’s wallet number"
        hint="13 digits; the last one is a check digit that catches most typos"
        inputMode="numeric"
        maxLength=${16}
        value=${walletNumber}
        onInput=${(/** @type {string} */ value) => {
          setWalletNumber(value);
          if (value.replace(/\s/g, '').length >= 13) setTouched(true);
          setErrors({});
        }}
        error=${errors.wallet_number ?? numberProblem}
      />
      <${Field}
        id="amount"
        label="Amount in naira"
        hint="For example 2,500.00"
        inputMode="decimal"
        value=${amount}
        onInput=${(/** @type {string} */ value) => {
          setAmount(value);
          setErrors({});
        }}
        error=${errors.amount}
      />
      <${FormError} error=${errors.form} />
      <button type="submit">Review</button>
    </form>
  </section>`;
}
