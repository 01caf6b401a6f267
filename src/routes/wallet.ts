import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { Database } from '../db/client.ts';
import { principalOf } from '../http/authentication.ts';
import { getWalletOfUser } from '../ledger/wallets.ts';

export const Balance = Type.Object({
  balance: Type.Integer({ description: 'Balance in kobo' }),
  currency: Type.Literal('NGN'),
  wallet_number: Type.String({ pattern: '^[0-9]{13}$' }),
});

export const walletRoutes: FastifyPluginAsyncTypebox<{ db: Database }> = async (app, { db }) => {
  app.get(
    '/wallet/balance',
    {
      config: { auth: { allowApiKey: true, permission: 'read' } },
      schema: { tags: ['wallet'], summary: 'The wallet balance in kobo', response: { 200: Balance } },
    },
    async (request) => {
      const wallet = await getWalletOfUser(db, principalOf(request).userId);
      return {
        balance: Number(wallet.balance),
        currency: 'NGN' as const,
        wallet_number: wallet.walletNumber,
      };
    },
  );
};
