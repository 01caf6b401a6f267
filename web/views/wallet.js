import { useEffect, useState } from 'preact/hooks';
import { ApiError, call } from '../api.js';
import { formatNaira } from '../money.js';
import { FormError, Heading, html } from '../ui.js';
import { PendingDeposits } from './deposit.js';

/**
 * @typedef {{ balance: number, currency: string, wallet_number: string, frozen: boolean, debt: number }} Balance
 */

/**
 * The wallet: its balance exact to the kobo, its number, and a frozen state or debt when present.
 * @param {{ session: import('../main.js').Session }} props
 */
export function WalletView({ session }) {
  const [balance, setBalance] = useState(/** @type {Balance | null} */ (null));
  const [error, setError] = useState(/** @type {string | null} */ (null));

  function refresh() {
    call('GET', '/wallet/balance')
      .then(({ body }) => {
        setBalance(body);
        setError(null);
      })
      .catch((failure) => setError(failure instanceof ApiError ? failure.problem.detail : String(failure)));
  }
  useEffect(refresh, []);

  return html`<section>
    <${Heading}>Wallet</${Heading}>
    <div class="card balance" aria-live="polite">
      <p class="label" id="balance-label">Balance</p>
      <p class="amount" aria-labelledby="balance-label" data-testid="balance">
        ${balance === null ? '…' : formatNaira(balance.balance)}
      </p>
      <p>Wallet number <span class="mono" data-testid="wallet-number">${session.wallet_number}</span></p>
      ${
        balance?.frozen
          ? html`<p class="warning" role="status">
              This wallet is frozen: it can receive money but cannot send or withdraw until it is cleared.
            </p>`
          : null
      }
      ${
        balance !== null && balance.debt > 0
          ? html`<p class="warning">You owe ${formatNaira(balance.debt)}; money you receive repays it first.</p>`
          : null
      }
      <${FormError} error=${error} />
    </div>
    <${PendingDeposits} userId=${session.user.id} onSettled=${refresh} />
    <ul class="actions">
      <li><a class="button" href="#/deposit">Deposit</a></li>
      <li><a class="button" href="#/send">Send money</a></li>
      <li><a class="button secondary" href="#/history">History</a></li>
    </ul>
  </section>`;
}
