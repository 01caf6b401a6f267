// Shared pieces of the page: the htm binding and the accessible building blocks every view uses.
import htm from 'htm';
import { h } from 'preact';

/** Preact elements from tagged templates: no JSX, so no build step. */
export const html = htm.bind(h);

/**
 * A labelled input whose error (or hint) is read out with it: `aria-describedby` links them and
 * `aria-invalid` marks the field while it is wrong.
 * @param {{ id: string, label: string, value: string, onInput: (value: string) => void,
 *   error?: string | null, hint?: string, type?: string, inputMode?: string, autoComplete?: string,
 *   required?: boolean, maxLength?: number }} props
 */
export function Field(props) {
  const described = [props.hint ? `${props.id}-hint` : '', props.error ? `${props.id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return html`<div class="field">
    <label for=${props.id}>${props.label}</label>
    ${props.hint ? html`<p class="hint" id=${`${props.id}-hint`}>${props.hint}</p>` : null}
    <input
      id=${props.id}
      name=${props.id}
      type=${props.type ?? 'text'}
      inputmode=${props.inputMode}
      autocomplete=${props.autoComplete ?? 'off'}
      value=${props.value}
      required=${props.required ?? false}
      maxlength=${props.maxLength}
      aria-invalid=${props.error ? 'true' : 'false'}
      aria-describedby=${described || undefined}
      onInput=${(/** @type {Event} */ event) => props.onInput(/** @type {HTMLInputElement} */ (event.currentTarget).value)}
    />
    ${props.error ? html`<p class="error" id=${`${props.id}-error`}>${props.error}</p>` : null}
  </div>`;
}

/**
 * An amount typed in naira (`parseNaira` reads it): a `Field` with the decimal keypad on phones.
 * @param {{ id: string, value: string, onInput: (value: string) => void, error?: string | null,
 *   hint: string }} props
 */
export function AmountField(props) {
  return html`<${Field} label="Amount in naira" inputMode="decimal" ...${props} />`;
}

/**
 * A message for the whole form (an error no single field owns), announced when it appears.
 * @param {{ error: string | null | undefined }} props
 */
export function FormError({ error }) {
  return error ? html`<p class="error form-error" role="alert" tabindex="-1">${error}</p>` : null;
}

/**
 * A confirmation's warning and buttons: the action (Try again once an answer was lost, which
 * resends the same attempt, see `useAttempt`) and Change, back to the form.
 * @param {{ unknown: string | null, retryNote: string, busy: boolean, action: string,
 *   busyLabel: string, onSend: () => void, onChange: () => void }} props
 *   `unknown`: why the last try's outcome is unknown; `retryNote`: what Try again does.
 */
export function ConfirmActions(props) {
  const { unknown, busy } = props;
  return html`
    <${FormError} error=${unknown === null ? null : `${unknown.replace(/[.;:\s]+$/, '')}. ${props.retryNote}`} />
    <div class="row">
      <button type="button" onClick=${props.onSend} disabled=${busy}>${busy ? props.busyLabel : unknown === null ? props.action : 'Try again'}</button>
      <button type="button" class="secondary" onClick=${props.onChange} disabled=${busy}>Change</button>
    </div>`;
}

/**
 * Where a refusal belongs: the field a validation `detail` names (`body.amount: must be …`, the
 * service's form for every schema refusal), else the field `codeFields` maps the problem's `code`
 * to, else the form as a whole.
 * @param {import('./api.js').Problem} problem
 * @param {Record<string, string>} [codeFields]
 * @returns {{ field: string | null, message: string }}
 */
export function placeProblem(problem, codeFields = {}) {
  const named = /^body\.([a-z_]+)\b:?\s*(.*)$/.exec(problem.detail);
  if (named) return { field: named[1] ?? null, message: named[2] || problem.detail };
  return { field: codeFields[problem.code] ?? null, message: problem.detail };
}

/**
 * A view's heading, focused when the view opens so a screen reader announces where the person is.
 * @param {{ children: any }} props
 */
export function Heading({ children }) {
  return html`<h1 tabindex="-1" id="view-heading">${children}</h1>`;
}

/**
 * Puts the focus where a refusal is explained, so keyboard and screen reader users are not left
 * on the page's body: the first field marked invalid, else the form's alert, else the heading.
 * @param {ParentNode} [within]
 */
export function focusFirstProblem(within = document) {
  const target =
    within.querySelector('[aria-invalid="true"]') ??
    within.querySelector('.form-error') ??
    document.getElementById('view-heading');
  if (target instanceof HTMLElement) target.focus();
}

/** Focuses the view's heading (after its content changed in place: a review, a result). */
export function focusHeading() {
  document.getElementById('view-heading')?.focus();
}
