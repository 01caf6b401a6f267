import type {
  InitiatedTransfer,
  PaystackBank,
  ResolvedAccount,
  VerifiedTransfer,
} from '../paystack/transfers.ts';

/**
 * The calls to Paystack Transfers that withdrawals make (`PaystackClient` provides them; tests may
 * pass their own). Each throws `PaystackError` when Paystack gives no usable answer.
 */
export interface TransfersApi {
  listBanks(): Promise<PaystackBank[]>;
  resolveAccount(input: { accountNumber: string; bankCode: string }): Promise<ResolvedAccount | undefined>;
  createTransferRecipient(input: { name: string; accountNumber: string; bankCode: string }): Promise<{
    recipientCode: string;
  }>;
  initiateTransfer(input: {
    amount: bigint;
    recipientCode: string;
    reference: string;
    reason: string;
  }): Promise<InitiatedTransfer>;
  verifyTransfer(reference: string): Promise<VerifiedTransfer | undefined>;
}
