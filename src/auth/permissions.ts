import { AppError } from '../errors.ts';

export const PERMISSIONS = ['deposit', 'transfer', 'read', 'withdraw'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * The principal's wallet as the statement that checked the credentials read it: a read that needs
 * nothing more (the balance) is then one round trip to the database. A snapshot, never a cache:
 * it lives as long as its request. Amounts in kobo.
 */
export interface WalletSnapshot {
  readonly accountId: bigint;
  readonly walletNumber: string;
  readonly balance: bigint;
  readonly frozen: boolean;
  readonly debt: bigint;
}

/** Who is making a request, as established from its credentials, with their wallet when it was read then. */
export type Principal =
  | { readonly via: 'jwt'; readonly userId: string; readonly wallet?: WalletSnapshot }
  | {
      readonly via: 'api_key';
      readonly userId: string;
      readonly apiKeyId: string;
      readonly permissions: readonly Permission[];
      readonly wallet?: WalletSnapshot;
    };

export function hasPermission(principal: Principal, permission: Permission): boolean {
  return principal.via === 'jwt' || principal.permissions.includes(permission);
}

/**
 * The refusal for valid credentials whose user no longer exists (deleted after the token or key
 * was issued): every user gets a wallet at first sign-in, so a missing user row or own wallet
 * means this. SPEC: `401 invalid_token`.
 */
export function signedInUserGone(): AppError {
  return new AppError('invalid_token', 'The signed-in user no longer exists');
}
