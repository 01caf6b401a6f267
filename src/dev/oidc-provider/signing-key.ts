import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';

export const SIGNING_ALGORITHM = 'ES256';

export interface SigningKey {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
  /** The key id: the public key's JWK thumbprint (RFC 7638). */
  kid: string;
  /** What `/jwks` serves: the public key alone. */
  jwks: JSONWebKeySet;
}

/** A fresh ES256 key pair: tokens signed before a restart no longer verify, as after a rotation. */
export async function generateSigningKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM);
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    publicKey,
    privateKey,
    kid,
    jwks: { keys: [{ ...publicJwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' }] },
  };
}
