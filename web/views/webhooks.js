import { useEffect, useState } from 'preact/hooks';
import { ApiError, call } from '../api.js';
import { formatTime } from '../money.js';
import { Field, FormError, Heading, html, placeProblem } from '../ui.js';
import { ShownOnce } from './secret.js';

const EVENTS = [
  'deposit.succeeded',
  'deposit.failed',
  'transfer.sent',
  'transfer.received',
  'withdrawal.succeeded',
  'withdrawal.failed',
  'withdrawal.reversed',
  'refund.processed',
  'wallet.frozen',
  'wallet.unfrozen',
];
const DELIVERY_PAGE_SIZE = 20;

/**
 * @typedef {{ id: string, url: string, events: string[] | null, status: string, created_at: string,
 *   disabled_reason: string | null }} Endpoint
 * @typedef {{ id: string, type: string, attempt: number, status: string, response_status: number | null,
 *   last_error: string | null, created_at: string }} Delivery
 */

/** Webhook endpoints: add one (its secret shown once), see its deliveries, rotate, test, delete. */
export function WebhooksView() {
  const [endpoints, setEndpoints] = useState(/** @type {Endpoint[] | null} */ (null));
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [secret, setSecret] = useState(/** @type {{ label: string, value: string } | null} */ (null));
  const [notice, setNotice] = useState(/** @type {string | null} */ (null));
  const [open, setOpen] = useState(/** @type {string | null} */ (null));

  function refresh() {
    call('GET', '/webhooks')
      .then(({ body }) => setEndpoints(body))
      .catch((failure) => setError(failure instanceof ApiError ? failure.problem.detail : String(failure)));
  }
  useEffect(refresh, []);

  /**
   * @param {() => Promise<void>} action
   */
  async function run(action) {
    setError(null);
    setNotice(null);
    try {
      await action();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.problem.detail : String(failure));
    }
  }

  return html`<section>
    <${Heading}>Webhooks</${Heading}>
    <p>Your application hears about money movements as signed HTTP requests (Standard Webhooks).</p>
    ${secret ? html`<${ShownOnce} id="webhook-secret" label=${secret.label} value=${secret.value} />` : null}
    <${AddEndpointForm} onAdded=${(/** @type {Endpoint & { secret: string }} */ endpoint) => {
      setSecret({ label: `Signing secret for ${endpoint.url}`, value: endpoint.secret });
      refresh();
    }} />
    <section class="card" aria-labelledby="endpoints-heading">
      <h2 id="endpoints-heading">Your endpoints</h2>
      <${FormError} error=${error} />
      ${notice ? html`<p role="status">${notice}</p>` : null}
      ${endpoints !== null && endpoints.length === 0 ? html`<p>No endpoints yet.</p>` : null}
      <ul class="plain">
        ${(endpoints ?? []).map(
          (endpoint) => html`<li key=${endpoint.id}>
            <p><strong class="mono break">${endpoint.url}</strong> <span class=${`status status-${endpoint.status}`}>${endpoint.status}</span><br />
              <span class="muted small">${endpoint.events === null ? 'every event' : endpoint.events.join(', ')}</span>
              ${endpoint.disabled_reason ? html`<br /><span class="warning small">${endpoint.disabled_reason}</span>` : null}</p>
            <div class="row wrap">
              <button type="button" class="secondary" aria-expanded=${open === endpoint.id ? 'true' : 'false'}
                aria-label=${`Deliveries to ${endpoint.url}`}
                onClick=${() => setOpen(open === endpoint.id ? null : endpoint.id)}>Deliveries</button>
              <button type="button" class="secondary" aria-label=${`Send a test event to ${endpoint.url}`}
                onClick=${() =>
                  run(async () => {
                    await call('POST', `/webhooks/${endpoint.id}/test`);
                    setNotice(`A webhook.test event is on its way to ${endpoint.url}.`);
                    setOpen(endpoint.id);
                  })}>Test</button>
              <button type="button" class="secondary" aria-label=${`Rotate secret of ${endpoint.url}`}
                onClick=${() =>
                  run(async () => {
                    const { body } = await call('POST', `/webhooks/${endpoint.id}/rotate-secret`);
                    setSecret({
                      label: `New signing secret for ${endpoint.url} (the old one still signs for 24 hours)`,
                      value: body.secret,
                    });
                  })}>Rotate secret</button>
              <button type="button" class="secondary" aria-label=${`Delete ${endpoint.url}`}
                onClick=${() =>
                  run(async () => {
                    await call('DELETE', `/webhooks/${endpoint.id}`);
                    refresh();
                  })}>Delete</button>
            </div>
            ${open === endpoint.id ? html`<${Deliveries} endpoint=${endpoint} />` : null}
          </li>`,
        )}
      </ul>
    </section>
  </section>`;
}

/** @param {{ endpoint: Endpoint }} props */
function Deliveries({ endpoint }) {
  const [deliveries, setDeliveries] = useState(/** @type {Delivery[] | null} */ (null));
  const [error, setError] = useState(/** @type {string | null} */ (null));

  function load() {
    call('GET', `/webhooks/${endpoint.id}/deliveries?limit=${DELIVERY_PAGE_SIZE}`)
      .then(({ body }) => setDeliveries(body))
      .catch((failure) => setError(failure instanceof ApiError ? failure.problem.detail : String(failure)));
  }
  useEffect(load, [endpoint.id]);

  const captionId = `deliveries-${endpoint.id}`;
  return html`<div class="deliveries">
    <${FormError} error=${error} />
    ${deliveries !== null && deliveries.length === 0 ? html`<p>Nothing sent yet.</p>` : null}
    ${
      deliveries !== null && deliveries.length > 0
        ? html`<div class="table-wrap" role="region" aria-labelledby=${captionId} tabindex="0">
            <table>
              <caption id=${captionId}>Latest deliveries to ${endpoint.url}</caption>
              <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Status</th>
                <th scope="col">Attempts</th><th scope="col">Answer</th></tr></thead>
              <tbody>
                ${deliveries.map(
                  (delivery) => html`<tr key=${delivery.id}>
                    <td>${formatTime(delivery.created_at)}</td><td>${delivery.type}</td><td>${delivery.status}</td>
                    <td>${delivery.attempt}</td><td>${delivery.response_status ?? delivery.last_error ?? '—'}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : null
    }
    <button type="button" class="secondary" onClick=${load}>Refresh deliveries</button>
  </div>`;
}

/** @param {{ onAdded: (endpoint: Endpoint & { secret: string }) => void }} props */
function AddEndpointForm({ onAdded }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState(/** @type {string[]} */ ([]));
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [busy, setBusy] = useState(false);

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    if (url.trim() === '') return setErrors({ url: 'Enter the URL your application receives webhooks at' });
    setBusy(true);
    try {
      const { body } = await call('POST', '/webhooks', {
        body: events.length === 0 ? { url: url.trim() } : { url: url.trim(), events },
      });
      setUrl('');
      setEvents([]);
      setErrors({});
      onAdded(body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const placed = placeProblem(error.problem, { invalid_webhook_url: 'url' });
      setErrors(placed.field === null ? { form: placed.message } : { [placed.field]: placed.message });
    } finally {
      setBusy(false);
    }
  }

  return html`<form class="card" onSubmit=${submit} noValidate aria-labelledby="add-endpoint-heading">
    <h2 id="add-endpoint-heading">Add an endpoint</h2>
    <${Field} id="url" label="URL" type="url" hint="https://… (http:// and local addresses only outside production)"
      value=${url} onInput=${(/** @type {string} */ value) => {
        setUrl(value);
        setErrors({});
      }} error=${errors.url} />
    <fieldset>
      <legend>Events (none chosen: every event)</legend>
      <div class="checks">
        ${EVENTS.map(
          (name) => html`<label class="check" key=${name}>
            <input type="checkbox" value=${name} checked=${events.includes(name)}
              onChange=${(/** @type {Event} */ event) => {
                const on = /** @type {HTMLInputElement} */ (event.currentTarget).checked;
                setEvents(on ? [...events, name] : events.filter((e) => e !== name));
              }} />
            <span class="mono">${name}</span>
          </label>`,
        )}
      </div>
    </fieldset>
    <${FormError} error=${errors.form} />
    <button type="submit" disabled=${busy}>Add endpoint</button>
  </form>`;
}
