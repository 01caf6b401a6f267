import { useEffect, useRef, useState } from 'preact/hooks';
import { call } from '../api.js';
import { useAttempt } from '../attempt.js';
import { formatNaira, parseNaira, walletNumberProblem } from '../money.js';
import {
  AmountField,
  ConfirmActions,
  Field,
  FormError,
  focusFirstProblem,
  focusHeading,
  Heading,
  html,
  placeProblem,
} from '../ui.js';

/** Refusals that concern one field, so they are shown beside it. */
const CODE_FIELDS = {
  wallet_not_found: 'wallet_number',
  self_transfer: 'wallet_number',
  invalid_wallet_number: 'wallet_number',
  insufficient_funds: 'amount',
};

/**
 * Send money: the recipient's number checked as it is typed, a confirmation that shows it, and
 * one Idempotency-Key per attempt, so a double click (or a retry after a lost answer) pays once.
 * An attempt lasts until the service answers it definitely: after a lost answer or a server
 * error the same request is offered again with the same key, and reviewing the same recipient
 * and amount again keeps that key too; only other details, or a definite answer, start anew.
 */
export function SendView() {
  const [walletNumber, setWalletNumber] = useState('');
  const [amount, setAmount] = useState('');
  const [touched, setTouched] = useState(false);
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const attempt = useAttempt(
    /** @type {(open: { walletNumber: string, kobo: number }, next: { walletNumber: string, kobo: number }) => boolean} */
    (open, next) => open.walletNumber === next.walletNumber && open.kobo === next.kobo,
  );
  const { reviewed: review, busy, unknown } = attempt;
  const [done, setDone] = useState(
    /** @type {{ amount: number, recipient: string, balance: number, reference: string } | null} */ (null),
  );
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
    attempt.review({ walletNumber: walletNumber.replace(/\s/g, ''), kobo: parsed.kobo });
  }

  async function confirm() {
    const sent = await attempt.send((review) =>
      call('POST', '/wallet/transfer', {
        body: { wallet_number: review.walletNumber, amount: review.kobo },
        idempotencyKey: review.key,
      }),
    );
    if (sent === undefined) return;
    if ('refusal' in sent) {
      const placed = placeProblem(sent.refusal, CODE_FIELDS);
      setErrors(placed.field === null ? { form: placed.message } : { [placed.field]: placed.message });
      return;
    }
    const { body } = sent.result;
    setDone({
      amount: body.amount,
      recipient: body.recipient_wallet_number,
      balance: body.balance,
      reference: body.reference,
    });
    setWalletNumber('');
    setAmount('');
    setTouched(false);
  }

  // A new stage (confirmation, result, back to the form) starts at its heading; a refusal at its field.
  const stage = done !== null ? 'done' : review !== null ? 'review' : 'form';
  const firstStage = useRef(true);
  useEffect(() => {
    if (firstStage.current) firstStage.current = false;
    else focusHeading();
  }, [stage]);
  useEffect(() => {
    if (Object.keys(errors).length > 0) focusFirstProblem();
  }, [errors]);
  useEffect(() => {
    if (unknown !== null) focusFirstProblem();
  }, [unknown]);

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
        <${ConfirmActions}
          unknown=${unknown}
          retryNote="The payment may have gone through: Try again sends this same payment, and it is paid at most once."
          busy=${busy}
          action="Send"
          busyLabel="Sending…"
          onSend=${confirm}
          onChange=${attempt.back}
        />
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
      <${AmountField}
        id="amount"
        hint="For example 2,500.00"
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
