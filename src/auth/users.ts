import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { users } from '../db/schema.ts';
import { invariant } from '../errors.ts';
import { findWalletByUser, openWallet } from '../ledger/wallets.ts';

export interface VerifiedIdentity {
  /** The provider's stable subject identifier (Google's `sub`), never the email. */
  subject: string;
  email: string;
  name: string | null;
}

export interface SignedInUser {
  id: string;
  email: string;
  name: string | null;
  walletNumber: string;
  created: boolean;
}

/**
 * Returns the user behind a verified identity, creating the user and their wallet on first sign-in.
 * Concurrent first sign-ins of one person serialize on the user row, so exactly one wallet is made.
 */
export async function signInUser(db: Database, identity: VerifiedIdentity): Promise<SignedInUser> {
  return db.transaction(async (tx) => {
    const [user] = await tx
      .insert(users)
      .values({ googleSub: identity.subject, email: identity.email, name: identity.name })
      .onConflictDoUpdate({
        target: users.googleSub,
        set: { email: sql`excluded.email`, name: sql`excluded.name` },
      })
      .returning({ id: users.id, email: users.email, name: users.name });
    invariant(user, 'user upsert returned a row');
    const existing = await findWalletByUser(tx, user.id);
    const wallet = existing ?? (await openWallet(tx, user.id));
    return { ...user, walletNumber: wallet.walletNumber, created: existing === undefined };
  });
}
