import { randomCode, type SimulatedTransaction } from './transactions.ts';

/** Paystack's card fee in Nigeria: 1.5%, plus ₦100 from ₦2,500, capped at ₦2,000. Kobo in, kobo out. */
export function paystackFee(amount: number): number {
  const fee = Math.round(amount * 0.015) + (amount >= 250_000 ? 10_000 : 0);
  return Math.min(fee, 200_000);
}

/**
 * The transaction as Paystack shows it in verify answers and webhook events, in the fields and
 * values of Paystack's examples; a paid one carries a test card's authorization.
 */
export function chargeData(transaction: SimulatedTransaction) {
  const paid = transaction.status === 'success';
  return {
    id: transaction.id,
    domain: 'test',
    status: transaction.status,
    reference: transaction.reference,
    amount: transaction.amount,
    message: null,
    gateway_response:
      transaction.status === 'success'
        ? 'Successful'
        : transaction.status === 'failed'
          ? 'Declined'
          : 'The transaction was not completed',
    paid_at: transaction.paidAt?.toISOString() ?? null,
    created_at: transaction.createdAt.toISOString(),
    channel: 'card',
    currency: transaction.currency,
    ip_address: transaction.payerIp ?? null,
    // Paystack answers "" when the transaction was initialized without metadata.
    metadata: transaction.metadata ?? '',
    log: null,
    fees: paid ? paystackFee(transaction.amount) : null,
    customer: {
      id: transaction.customer.id,
      first_name: null,
      last_name: null,
      email: transaction.email,
      customer_code: transaction.customer.code,
      phone: null,
      metadata: null,
      risk_action: 'default',
      international_format_phone: null,
    },
    authorization: paid
      ? {
          authorization_code: `AUTH_${randomCode(10)}`,
          bin: '408408',
          last4: '4081',
          exp_month: '12',
          exp_year: '2030',
          channel: 'card',
          card_type: 'visa ',
          bank: 'TEST BANK',
          country_code: 'NG',
          brand: 'visa',
          reusable: true,
          signature: `SIG_${randomCode(20)}`,
          account_name: null,
        }
      : {},
  };
}

/** `data` of Paystack's verify answer: the charge and the fields only verify shows. */
export function verifiedChargeData(transaction: SimulatedTransaction) {
  const data = chargeData(transaction);
  return {
    ...data,
    receipt_number: null,
    fees_split: null,
    plan: null,
    split: {},
    order_id: null,
    paidAt: data.paid_at,
    createdAt: data.created_at,
    requested_amount: transaction.amount,
    pos_transaction_data: null,
    source: null,
    fees_breakdown: null,
    connect: null,
    transaction_date: data.created_at,
    plan_object: {},
    subaccount: {},
  };
}
