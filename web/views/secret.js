import { useState } from 'preact/hooks';
import { html } from '../ui.js';

/**
 * A secret shown once (an API key, a webhook signing secret), with a button that copies it.
 * @param {{ label: string, value: string, id: string }} props
 */
export function ShownOnce({ label, value, id }) {
  const [copied, setCopied] = useState(/** @type {string | null} */ (null));

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied.');
    } catch {
      // No clipboard permission: select the text so the person can copy it themselves.
      const input = /** @type {HTMLInputElement | null} */ (document.getElementById(id));
      input?.select();
      setCopied('Selected: press Ctrl+C (or ⌘C) to copy.');
    }
  }

  return html`<div class="card secret" role="region" aria-labelledby=${`${id}-label`}>
    <label id=${`${id}-label`} for=${id}>${label}</label>
    <p class="hint">Shown only now: copy it somewhere safe before you leave this page.</p>
    <div class="row">
      <input id=${id} class="mono" readonly value=${value} data-testid=${id} />
      <button type="button" onClick=${copy}>Copy</button>
    </div>
    <p role="status" class="muted">${copied}</p>
  </div>`;
}
