import type { FastifyInstance, FastifyReply } from 'fastify';
import { chargeData, paystackFee } from './charge-data.ts';
import { checkoutPage, resultPage } from './checkout-page.ts';
import type { MerchantBalance } from './merchant-balance.ts';
import type { SimulatedTransaction, SimulatedTransactions } from './transactions.ts';
import type { WebhookSender } from './webhook-sender.ts';

export interface CheckoutOptions {
  transactions: SimulatedTransactions;
  /** The merchant's balance, which a payment grows by its amount less Paystack's fee. */
  balance: MerchantBalance;
  /** Where a payment's `charge.success` goes out. */
  webhooks: WebhookSender;
}

function html(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
    .send(page);
}

const unknownCheckout = resultPage('Payment not found', 'This checkout link is unknown or has expired.');

function alreadySettled(transaction: SimulatedTransaction): string {
  return resultPage('Payment complete', `This payment is already ${transaction.status}.`);
}

/**
 * Records the payer's answer; a payment settles to the merchant's balance and sends
 * `charge.success`, and, as with Paystack, only a payment.
 */
function settle(
  transaction: SimulatedTransaction,
  action: 'pay' | 'decline',
  payerIp: string,
  options: CheckoutOptions,
): void {
  transaction.payerIp = payerIp;
  if (action === 'decline') {
    transaction.status = 'failed';
    return;
  }
  transaction.status = 'success';
  transaction.paidAt = new Date();
  options.balance.credit(transaction.amount - paystackFee(transaction.amount));
  options.webhooks.send({ event: 'charge.success', data: { ...chargeData(transaction), plan: {} } });
}

/**
 * The payer's side, `/checkout/:accessCode`: a page with Pay and Decline. Pay marks the
 * transaction successful, sends the signed `charge.success` webhook and returns the payer to the
 * callback URL; Decline fails it and, as with Paystack, sends nothing.
 */
export function registerCheckout(app: FastifyInstance, options: CheckoutOptions): void {
  const { transactions } = options;

  app.get<{ Params: { accessCode: string } }>(
    '/checkout/:accessCode',
    { schema: { hide: true } },
    async (request, reply) => {
      const transaction = transactions.byAccessCode(request.params.accessCode);
      if (!transaction) return html(reply, 404, unknownCheckout);
      if (transaction.status !== 'abandoned') return html(reply, 200, alreadySettled(transaction));
      return html(
        reply,
        200,
        checkoutPage({
          formAction: `${app.prefix}/checkout/${transaction.accessCode}`,
          reference: transaction.reference,
          email: transaction.email,
          amount: transaction.amount,
          currency: transaction.currency,
        }),
      );
    },
  );

  app.post<{ Params: { accessCode: string }; Body: { action?: unknown } | undefined }>(
    '/checkout/:accessCode',
    { schema: { hide: true } },
    async (request, reply) => {
      const transaction = transactions.byAccessCode(request.params.accessCode);
      if (!transaction) return html(reply, 404, unknownCheckout);
      const action = request.body?.action;
      if (action !== 'pay' && action !== 'decline') {
        return html(reply, 400, resultPage('Bad request', 'Press Pay or Decline.'));
      }
      if (transaction.status !== 'abandoned') return html(reply, 409, alreadySettled(transaction));
      settle(transaction, action, request.ip, options);
      transactions.save();
      if (action === 'decline') {
        return html(
          reply,
          200,
          resultPage('Payment declined', 'The payment was declined. Nothing was charged.'),
        );
      }
      if (transaction.callbackUrl !== undefined) {
        const callback = new URL(transaction.callbackUrl);
        callback.searchParams.set('trxref', transaction.reference);
        callback.searchParams.set('reference', transaction.reference);
        return reply.redirect(callback.href, 302);
      }
      return html(
        reply,
        200,
        resultPage(
          'Payment successful',
          `Paid. The merchant has been notified of ${transaction.reference}; you may close this page.`,
        ),
      );
    },
  );
}
