import { escapeHtml } from '../escape-html.ts';

/** ₦1,234.56 from 123456 kobo, in integer arithmetic. */
export function formatNaira(kobo: number): string {
  const naira = Math.trunc(kobo / 100);
  const rest = String(kobo % 100).padStart(2, '0');
  return `₦${naira.toLocaleString('en')}.${rest}`;
}

const STYLE = `
  body { font-family: system-ui, sans-serif; margin: 0; background: #f4f6f8; color: #1b2a3a; }
  .banner { background: #b00020; color: #fff; padding: 12px 16px; font-weight: 700; text-align: center; }
  main { max-width: 420px; margin: 40px auto; background: #fff; border-radius: 8px; padding: 24px;
         box-shadow: 0 1px 4px rgba(0,0,0,.15); }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 6px 12px; }
  dt { color: #5b6b7b; } dd { margin: 0; word-break: break-all; }
  .amount { font-size: 2em; font-weight: 700; margin: 8px 0 16px; }
  .actions { display: flex; gap: 12px; margin-top: 20px; }
  button { flex: 1; font-size: 1.1em; padding: 12px; border: 0; border-radius: 6px; cursor: pointer; }
  .pay { background: #0ba4db; color: #fff; } .decline { background: #e8ecef; color: #1b2a3a; }
`;

const BANNER =
  'SIMULATED PAYSTACK CHECKOUT: no card is charged and no real money moves. ' +
  'This local stand-in is for development and tests only.';

function layout(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<div class="banner" role="alert">${escapeHtml(BANNER)}</div>
<main>
${content}
</main>
</body>
</html>`;
}

export interface CheckoutView {
  formAction: string;
  reference: string;
  email: string;
  amount: number;
  currency: string;
}

export function checkoutPage(view: CheckoutView): string {
  const amount = formatNaira(view.amount);
  return layout(
    `Pay ${amount}`,
    `<h1>Simulated payment</h1>
<div class="amount" data-testid="amount">${escapeHtml(amount)}</div>
<dl>
<dt>Customer</dt><dd>${escapeHtml(view.email)}</dd>
<dt>Reference</dt><dd data-testid="reference">${escapeHtml(view.reference)}</dd>
<dt>Currency</dt><dd>${escapeHtml(view.currency)}</dd>
</dl>
<p>Pay marks the payment successful and sends a signed <code>charge.success</code> webhook to the
merchant. Decline fails it, and, as with Paystack, no webhook is sent.</p>
<form method="post" action="${escapeHtml(view.formAction)}" class="actions">
<button type="submit" name="action" value="pay" class="pay">Pay ${escapeHtml(amount)}</button>
<button type="submit" name="action" value="decline" class="decline">Decline</button>
</form>`,
  );
}

export function resultPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p data-testid="result">${escapeHtml(message)}</p>`);
}
