import type { PaystackClient } from '../paystack/client.ts';

/**
 * The calls to Paystack Transfers that withdrawals make: `PaystackClient`'s own methods, named so
 * the domain depends on no more of the client than it uses. Each throws `PaystackError` when
 * Paystack gives no usable answer.
 */
export type TransfersApi = Pick<
  PaystackClient,
  'listBanks' | 'resolveAccount' | 'createTransferRecipient' | 'initiateTransfer' | 'verifyTransfer'
>;
