import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { PaystackApiError } from './api-errors.ts';
import { authorize } from './authorize.ts';
import { misbehave, type SimulatorBehaviour } from './behaviour.ts';
import { verifiedChargeData } from './charge-data.ts';
import { parseInitializeRequest } from './initialize-request.ts';
import { randomCode, type SimulatedTransactions } from './transactions.ts';

export interface TransactionApiOptions {
  /** The only key the API accepts. */
  secretKey: string;
  transactions: SimulatedTransactions;
  behaviour: SimulatorBehaviour;
}

/**
 * Paystack's transaction API as the service uses it: `POST /transaction/initialize` and
 * `GET /transaction/verify/:reference`, behind the secret key, with Paystack's answers and
 * refusals. The checkout link points at the checkout routes beside it, under `app.prefix`.
 */
export function registerTransactionApi(app: FastifyInstance, options: TransactionApiOptions): void {
  const { secretKey, transactions, behaviour } = options;

  app.post('/transaction/initialize', { schema: { hide: true } }, async (request, reply) => {
    authorize(request, secretKey);
    if (await misbehave(behaviour, reply)) return reply;
    const input = parseInitializeRequest(request.body);
    const reference = input.reference ?? randomCode(10);
    if (transactions.has(reference)) {
      throw new PaystackApiError(400, 'Duplicate Transaction Reference', {
        meta: { nextStep: 'Try and create the Transaction or Charge with a new reference' },
        type: 'validation_error',
        code: 'duplicate_reference',
      });
    }
    const accessCode = randomCode(15);
    transactions.remember({
      id: randomInt(1_000_000_000, 9_999_999_999),
      reference,
      accessCode,
      amount: input.amount,
      currency: input.currency,
      email: input.email,
      customer: transactions.customerFor(input.email),
      metadata: input.metadata,
      callbackUrl: input.callbackUrl,
      status: 'abandoned',
      createdAt: new Date(),
      paidAt: undefined,
      payerIp: undefined,
    });
    // The checkout lives beside the API, on whatever address the caller reached it by.
    const authorizationUrl = `${request.protocol}://${request.host}${app.prefix}/checkout/${accessCode}`;
    return {
      status: true,
      message: 'Authorization URL created',
      data: { authorization_url: authorizationUrl, access_code: accessCode, reference },
    };
  });

  app.get<{ Params: { reference: string } }>(
    '/transaction/verify/:reference',
    { schema: { hide: true } },
    async (request, reply) => {
      authorize(request, secretKey);
      if (await misbehave(behaviour, reply)) return reply;
      const transaction = transactions.get(request.params.reference);
      if (!transaction) {
        throw new PaystackApiError(400, 'Transaction reference not found', {
          meta: {
            nextStep:
              "Ensure that you're passing the reference of a transaction that exists on this integration",
          },
          type: 'validation_error',
          code: 'transaction_not_found',
        });
      }
      return { status: true, message: 'Verification successful', data: verifiedChargeData(transaction) };
    },
  );
}
