import type { FastifyInstance, FastifyReply } from 'fastify';
import { type AccountLookup, lookUpAccount } from './account-holders.ts';
import { PaystackApiError } from './api-errors.ts';
import { authorize } from './authorize.ts';
import { misbehave, type SimulatorBehaviour } from './behaviour.ts';
import type { SimulatorState } from './state.ts';
import { createdRecipientData, initiatedTransferData, verifiedTransferData } from './transfer-data.ts';
import type { TransferHolds } from './transfer-hold.ts';
import { initiateTransfer } from './transfer-initiation.ts';
import { parseRecipientRequest, parseTransferRequest } from './transfer-requests.ts';
import type { TransferSettlement } from './transfer-settlement.ts';

export interface TransferApiOptions {
  /** The only key the API accepts. */
  secretKey: string;
  state: SimulatorState;
  behaviour: SimulatorBehaviour;
  holds: TransferHolds;
  settlement: TransferSettlement;
}

const MALFORMED_RECIPIENT = {
  status: true,
  message: 'Transfer recipient created successfully',
  data: { recipient_code: null },
};
const MALFORMED_TRANSFER = { status: true, message: 'Transfer has been queued', data: { reference: 42 } };
const MALFORMED_VERIFY = { status: true, message: 'Transfer retrieved', data: { amount: '100000' } };

/** Paystack's refusals of a recipient's account (api-errors.json, tags Transfer and Transfer Recipient). */
function refuseAccount(lookup: Exclude<AccountLookup, { kind: 'found' }>): PaystackApiError {
  switch (lookup.kind) {
    case 'missing_bank_code':
      return new PaystackApiError(400, 'bank_code is required');
    case 'missing_account_number':
      return new PaystackApiError(400, 'Either authorization_code or account_number must be passed.');
    case 'not_numeric':
      return new PaystackApiError(400, 'Account number should be numeric');
    case 'unknown_bank':
      return new PaystackApiError(400, 'Unknown bank code');
    case 'unresolvable':
      return new PaystackApiError(422, 'Cannot resolve account');
  }
}

/** A held request whose caller is gone (or the server is closing): nothing to answer, the connection ends. */
function abandon(reply: FastifyReply): FastifyReply {
  reply.hijack();
  reply.raw.destroy();
  return reply;
}

/**
 * Paystack Transfers (TRANSFERS.md): `POST /transferrecipient` (201 for a new recipient, 200 with
 * the existing one for an account already added), `POST /transfer` (queued as `pending` and
 * settled later by `TransferSettlement`; `otp` under `behaviour.transferOtp`; held open under
 * `behaviour.transferHold`) and `GET /transfer/verify/:reference`, behind the secret key.
 */
export function registerTransferApi(app: FastifyInstance, options: TransferApiOptions): void {
  const { secretKey, state, behaviour, holds, settlement } = options;

  app.post('/transferrecipient', { schema: { hide: true } }, async (request, reply) => {
    authorize(request, secretKey);
    if (await misbehave(behaviour, reply, MALFORMED_RECIPIENT)) return reply;
    const input = parseRecipientRequest(request.body);
    const lookup = lookUpAccount(input.accountNumber, input.bankCode);
    if (lookup.kind !== 'found') throw refuseAccount(lookup);
    const existing = state.recipients.find(lookup.bank.code, lookup.accountNumber);
    const recipient =
      existing ??
      state.recipients.create({
        name: input.name,
        accountNumber: lookup.accountNumber,
        accountName: lookup.accountName,
        bankCode: lookup.bank.code,
        bankName: lookup.bank.name,
      });
    return reply.code(existing === undefined ? 201 : 200).send({
      status: true,
      message: 'Transfer recipient created successfully',
      data: createdRecipientData(recipient),
    });
  });

  app.post('/transfer', { schema: { hide: true } }, async (request, reply) => {
    authorize(request, secretKey);
    if (await misbehave(behaviour, reply, MALFORMED_TRANSFER)) return reply;
    const hold = behaviour.transferHold ?? 'none';
    if (hold === 'before_create' && (await holds.hold(reply)) === 'closed') return abandon(reply);
    const otp = behaviour.transferOtp === true;
    const transfer = initiateTransfer(parseTransferRequest(request.body), state, { otp });
    if (!otp) settlement.schedule(transfer);
    if (hold === 'after_create' && (await holds.hold(reply)) === 'closed') return abandon(reply);
    return {
      status: true,
      message: otp ? 'Transfer requires OTP to continue' : 'Transfer has been queued',
      data: initiatedTransferData(transfer),
    };
  });

  app.get<{ Params: { reference: string } }>(
    '/transfer/verify/:reference',
    { schema: { hide: true } },
    async (request, reply) => {
      authorize(request, secretKey);
      if (await misbehave(behaviour, reply, MALFORMED_VERIFY)) return reply;
      const transfer = state.transfers.get(request.params.reference);
      // Paystack's published 404 (examples/transfer-verify.response.json).
      if (transfer === undefined) throw new PaystackApiError(404, 'Transfer not found');
      return { status: true, message: 'Transfer retrieved', data: verifiedTransferData(transfer) };
    },
  );
}
