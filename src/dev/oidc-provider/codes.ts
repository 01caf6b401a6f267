import { randomBytes } from 'node:crypto';
import { OAuthError } from './oauth-errors.ts';

/** What an authorization code stands for until the token endpoint redeems it. */
export interface IssuedCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | undefined;
  scope: string;
  sub: string;
  email: string;
  emailVerified: boolean;
  name: string | undefined;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const CODE_TTL_MS = 60_000;
/** Codes live in memory: bound them so a form-posting loop cannot exhaust it. */
const MAX_PENDING_CODES = 10_000;

/** Authorization codes in memory: valid for a minute, redeemable once. */
export class AuthorizationCodes {
  private readonly codes = new Map<string, IssuedCode>();

  /**
   * A new code for `grant`. Throws OAuthError (503 `temporarily_unavailable`) while
   * MAX_PENDING_CODES unexpired codes wait.
   */
  issue(grant: Omit<IssuedCode, 'expiresAt'>): string {
    const now = Date.now();
    for (const [code, issued] of this.codes) if (issued.expiresAt <= now) this.codes.delete(code);
    if (this.codes.size >= MAX_PENDING_CODES) {
      throw new OAuthError(503, 'temporarily_unavailable', 'too many pending authorization codes');
    }
    const code = randomBytes(32).toString('base64url');
    this.codes.set(code, { ...grant, expiresAt: now + CODE_TTL_MS });
    return code;
  }

  /**
   * The grant behind `code`, `undefined` when unknown or expired. Single use: the code is spent by
   * any attempt to redeem it, successful or not.
   */
  redeem(code: string | undefined): IssuedCode | undefined {
    if (code === undefined) return undefined;
    const issued = this.codes.get(code);
    this.codes.delete(code);
    return issued === undefined || issued.expiresAt <= Date.now() ? undefined : issued;
  }
}
