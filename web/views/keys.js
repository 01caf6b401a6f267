import { useEffect, useState } from 'preact/hooks';
import { ApiError, call } from '../api.js';
import { formatTime } from '../money.js';
import { Field, FormError, Heading, html, placeProblem } from '../ui.js';
import { ShownOnce } from './secret.js';

const PERMISSIONS = /** @type {const} */ (['read', 'deposit', 'transfer', 'withdraw']);
const EXPIRIES = [
  { value: '1H', label: 'One hour' },
  { value: '1D', label: 'One day' },
  { value: '1M', label: 'One month' },
  { value: '1Y', label: 'One year' },
];

/**
 * @typedef {{ id: string, name: string, prefix: string, permissions: string[],
 *   status: 'active' | 'expired' | 'revoked', expires_at: string, created_at: string,
 *   last_used_at: string | null }} KeySummary
 */

/** API keys: create (shown once, with a copy button), list, revoke, roll over an expired one. */
export function KeysView() {
  const [keys, setKeys] = useState(/** @type {KeySummary[] | null} */ (null));
  const [listError, setListError] = useState(/** @type {string | null} */ (null));
  const [created, setCreated] = useState(/** @type {{ name: string, api_key: string } | null} */ (null));

  function refresh() {
    call('GET', '/keys')
      .then(({ body }) => setKeys(body))
      .catch((error) => setListError(error instanceof ApiError ? error.problem.detail : String(error)));
  }
  useEffect(refresh, []);

  /** @param {KeySummary} key */
  async function revoke(key) {
    setListError(null);
    try {
      await call('DELETE', `/keys/${key.id}`);
      refresh();
    } catch (error) {
      setListError(error instanceof ApiError ? error.problem.detail : String(error));
    }
  }

  /** @param {KeySummary} key */
  async function rollOver(key) {
    setListError(null);
    try {
      const { body } = await call('POST', '/keys/rollover', {
        body: { expired_key_id: key.id, expiry: '1M' },
      });
      setCreated(body);
      refresh();
    } catch (error) {
      setListError(error instanceof ApiError ? error.problem.detail : String(error));
    }
  }

  return html`<section>
    <${Heading}>API keys</${Heading}>
    <p>Keys let your own services use this wallet with the permissions you choose. At most five are active at once.</p>
    ${created ? html`<${ShownOnce} id="new-api-key" label=${`Your new key “${created.name}”`} value=${created.api_key} />` : null}
    <${CreateKeyForm} onCreated=${(/** @type {{ name: string, api_key: string }} */ key) => {
      setCreated(key);
      refresh();
    }} />
    <section class="card" aria-labelledby="keys-heading">
      <h2 id="keys-heading">Your keys</h2>
      <${FormError} error=${listError} />
      ${keys !== null && keys.length === 0 ? html`<p>No keys yet.</p>` : null}
      <ul class="plain" data-testid="keys">
        ${(keys ?? []).map(
          (key) => html`<li key=${key.id} class="row spread">
            <span>
              <strong>${key.name}</strong> <span class="mono muted">${key.prefix}…</span>
              <span class=${`status status-${key.status}`}>${key.status}</span><br />
              <span class="muted small">${key.permissions.join(', ')} · ${key.status === 'expired' ? 'expired' : 'expires'} ${formatTime(key.expires_at)}</span>
            </span>
            ${key.status === 'active' ? html`<button type="button" class="secondary" onClick=${() => revoke(key)} aria-label=${`Revoke ${key.name}`}>Revoke</button>` : null}
            ${key.status === 'expired' ? html`<button type="button" class="secondary" onClick=${() => rollOver(key)} aria-label=${`Roll over ${key.name} for a month`}>Roll over</button>` : null}
          </li>`,
        )}
      </ul>
    </section>
  </section>`;
}

/** @param {{ onCreated: (key: { name: string, api_key: string }) => void }} props */
function CreateKeyForm({ onCreated }) {
  const [name, setName] = useState('');
  const [permissions, setPermissions] = useState(/** @type {string[]} */ (['read']));
  const [expiry, setExpiry] = useState('1M');
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [busy, setBusy] = useState(false);

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    /** @type {Record<string, string>} */
    const found = {};
    if (name.trim() === '') found.name = 'Give the key a name, such as the service that will use it';
    if (permissions.length === 0) found.permissions = 'Choose at least one permission';
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const { body } = await call('POST', '/keys/create', {
        body: { name: name.trim(), permissions, expiry },
      });
      setName('');
      onCreated(body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const placed = placeProblem(error.problem);
      setErrors(placed.field === null ? { form: placed.message } : { [placed.field]: placed.message });
    } finally {
      setBusy(false);
    }
  }

  return html`<form class="card" onSubmit=${submit} noValidate aria-labelledby="create-key-heading">
    <h2 id="create-key-heading">Create a key</h2>
    <${Field} id="name" label="Name" value=${name} maxLength=${100} onInput=${(
      /** @type {string} */ value,
    ) => {
      setName(value);
      setErrors({});
    }} error=${errors.name} />
    <fieldset aria-describedby=${errors.permissions ? 'permissions-error' : undefined}>
      <legend>Permissions</legend>
      ${PERMISSIONS.map(
        (permission) => html`<label class="check" key=${permission}>
          <input type="checkbox" name="permissions" value=${permission} checked=${permissions.includes(permission)}
            onChange=${(/** @type {Event} */ event) => {
              const on = /** @type {HTMLInputElement} */ (event.currentTarget).checked;
              setPermissions(on ? [...permissions, permission] : permissions.filter((p) => p !== permission));
            }} />
          ${permission}
        </label>`,
      )}
      ${errors.permissions ? html`<p class="error" id="permissions-error">${errors.permissions}</p>` : null}
    </fieldset>
    <div class="field">
      <label for="expiry">Expires after</label>
      <select id="expiry" value=${expiry}
        onChange=${(/** @type {Event} */ event) => setExpiry(/** @type {HTMLSelectElement} */ (event.currentTarget).value)}>
        ${EXPIRIES.map((option) => html`<option key=${option.value} value=${option.value}>${option.label}</option>`)}
      </select>
    </div>
    <${FormError} error=${errors.form} />
    <button type="submit" disabled=${busy}>Create key</button>
  </form>`;
}
