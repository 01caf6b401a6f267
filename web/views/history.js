import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, nextPage } from '../api.js';
import { formatNaira, formatTime } from '../money.js';
import { FormError, Heading, html } from '../ui.js';

const PAGE_SIZE = 20;
const FIRST_PAGE = `/wallet/transactions?limit=${PAGE_SIZE}`;

/** @type {Record<string, string>} */
const TYPES = {
  deposit: 'Deposit',
  transfer: 'Transfer',
  withdrawal: 'Withdrawal',
  withdrawal_return: 'Withdrawal returned',
  refund: 'Refund',
};

/**
 * @typedef {{ id: string, reference: string, type: string, direction: 'credit' | 'debit', amount: number,
 *   status: string, counterparty_wallet_number: string | null, created_at: string }} Movement
 */

/** The wallet's movements, newest first, a page at a time (the API's `Link: rel="next"`). */
export function HistoryView() {
  // The pages visited so far, so Previous goes back without the API paging backwards.
  const [pages, setPages] = useState([FIRST_PAGE]);
  const [rows, setRows] = useState(/** @type {Movement[] | null} */ (null));
  const [next, setNext] = useState(/** @type {string | null} */ (null));
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const current = pages[pages.length - 1] ?? FIRST_PAGE;

  useEffect(() => {
    setRows(null);
    call('GET', current)
      .then(({ body, headers }) => {
        setRows(body);
        setNext(nextPage(headers));
        setError(null);
      })
      .catch((failure) => setError(failure instanceof ApiError ? failure.problem.detail : String(failure)));
  }, [current]);

  return html`<section>
    <${Heading}>History</${Heading}>
    <${FormError} error=${error} />
    ${rows === null && error === null ? html`<p>Loading…</p>` : null}
    ${rows !== null && rows.length === 0 ? html`<p class="card">No money has moved yet.</p>` : null}
    ${
      rows !== null && rows.length > 0
        ? html`<div class="table-wrap" role="region" aria-labelledby="history-caption" tabindex="0">
            <table data-testid="history" class="stack" role="table">
              <caption id="history-caption">Page ${pages.length}, newest first</caption>
              <thead role="rowgroup">
                <tr role="row"><th scope="col" role="columnheader">When</th><th scope="col" role="columnheader">Type</th>
                <th scope="col" role="columnheader">Amount</th><th scope="col" role="columnheader">Status</th>
                <th scope="col" role="columnheader">Counterparty</th></tr>
              </thead>
              <tbody role="rowgroup">
                ${rows.map(
                  (row) => html`<tr key=${row.id} role="row">
                    <td role="cell" data-label="When">${formatTime(row.created_at)}</td>
                    <td role="cell" data-label="Type">${TYPES[row.type] ?? row.type}</td>
                    <td role="cell" data-label="Amount" class=${`num ${row.direction}`}>
                      ${row.direction === 'credit' ? '+' : '−'}${formatNaira(row.amount)}
                      <span class="visually-hidden">${row.direction === 'credit' ? ' in' : ' out'}</span>
                    </td>
                    <td role="cell" data-label="Status">${row.status}</td>
                    <td role="cell" data-label="Counterparty" class="mono">${row.counterparty_wallet_number ?? '—'}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : null
    }
    <div class="row">
      <button type="button" class="secondary" disabled=${pages.length === 1}
        onClick=${() => setPages(pages.slice(0, -1))}>Newer</button>
      <button type="button" class="secondary" disabled=${next === null}
        onClick=${() => next !== null && setPages([...pages, next])}>Older</button>
    </div>
  </section>`;
}
