import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { Database } from '../db/client.ts';
import { principalOf } from '../http/authentication.ts';
import {
  addBankAccount,
  type BankAccount,
  listBankAccounts,
  MAX_BANK_ACCOUNTS,
  removeBankAccount,
} from '../withdrawals/bank-accounts.ts';
import type { BankDirectory } from '../withdrawals/banks.ts';
import type { TransfersApi } from '../withdrawals/paystack-transfers.ts';
import { uuidString } from './schemas.ts';

const BankCode = Type.String({
  pattern: '^[0-9A-Za-z]{1,20}$',
  description: 'A bank’s `code` from `GET /banks`',
});

export const BankAccountView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  bank_code: Type.String(),
  bank_name: Type.String(),
  account_number: Type.String({ description: 'NUBAN: 10 digits' }),
  account_name: Type.String({ description: 'The holder’s name as Paystack resolved it' }),
  created_at: Type.String({ format: 'date-time' }),
});

/** A saved bank account as the API shows it. */
export function bankAccountView(account: BankAccount) {
  return {
    id: account.id,
    bank_code: account.bankCode,
    bank_name: account.bankName,
    account_number: account.accountNumber,
    account_name: account.accountName,
    created_at: account.createdAt.toISOString(),
  };
}

const AddBankAccount = Type.Object(
  {
    bank_code: BankCode,
    account_number: Type.String({
      pattern: '^[0-9]{10}$',
      description: 'The 10-digit NUBAN account number, e.g. "0123456789"',
    }),
  },
  { additionalProperties: false },
);

export const bankAccountRoutes: FastifyPluginAsyncTypebox<{
  db: Database;
  api: TransfersApi;
  banks: BankDirectory;
}> = async (app, { db, api, banks }) => {
  app.get(
    '/banks',
    {
      config: { auth: { allowApiKey: true } },
      schema: {
        tags: ['withdrawals'],
        summary: 'Nigerian banks a withdrawal can pay to',
        description: 'Paystack’s NGN bank list, kept by the service for an hour.',
        response: { 200: Type.Array(Type.Object({ name: Type.String(), code: Type.String() })) },
      },
    },
    async () => (await banks.list()).map((bank) => ({ name: bank.name, code: bank.code })),
  );

  app.post(
    '/wallet/bank-accounts',
    {
      config: { auth: { allowApiKey: false } },
      schema: {
        tags: ['withdrawals'],
        summary: 'Save a bank account to withdraw to',
        description:
          'The account is resolved with Paystack and saved with its holder’s name, so you see whom you ' +
          `will pay. At most ${MAX_BANK_ACCOUNTS} per user. Saving an account already saved answers it ` +
          'with `200`. Only a signed-in user saves accounts: a stolen API key cannot add a destination.',
        body: AddBankAccount,
        response: { 200: BankAccountView, 201: BankAccountView },
      },
    },
    async (request, reply) => {
      const { account, created } = await addBankAccount(
        db,
        { api, banks },
        {
          userId: principalOf(request).userId,
          bankCode: request.body.bank_code,
          accountNumber: request.body.account_number,
        },
      );
      return reply.code(created ? 201 : 200).send(bankAccountView(account));
    },
  );

  app.get(
    '/wallet/bank-accounts',
    {
      config: { auth: { allowApiKey: true, permission: ['read', 'withdraw'] } },
      schema: {
        tags: ['withdrawals'],
        summary: 'Your saved bank accounts',
        response: { 200: Type.Array(BankAccountView) },
      },
    },
    async (request) => (await listBankAccounts(db, principalOf(request).userId)).map(bankAccountView),
  );

  app.delete(
    '/wallet/bank-accounts/:id',
    {
      config: { auth: { allowApiKey: false } },
      schema: {
        tags: ['withdrawals'],
        summary: 'Remove a saved bank account',
        description: 'No new withdrawal can pay to it; withdrawals made to it still show it.',
        params: Type.Object({ id: uuidString('The saved account’s id') }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await removeBankAccount(db, principalOf(request).userId, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
