import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { EXPIRIES } from '../auth/api-key-expiry.ts';
import {
  apiKeyModeFor,
  type CreatedApiKey,
  createApiKey,
  listApiKeys,
  MAX_ACTIVE_KEYS,
  MAX_KEY_NAME_LENGTH,
  MAX_LISTED_KEYS,
  revokeApiKey,
  rolloverApiKey,
} from '../auth/api-key-management.ts';
import { PERMISSIONS } from '../auth/permissions.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import { principalOf } from '../http/authentication.ts';
import { uuidString } from './schemas.ts';

const JWT_ONLY = { auth: { allowApiKey: false } };

const KeyId = uuidString('The key’s id, a UUID such as 6f1c1b4e-8d6a-4b8e-9d7e-1f2a3b4c5d6e');
const Timestamp = Type.String({ format: 'date-time' });
const Permissions = Type.Array(Type.Enum(PERMISSIONS), {
  minItems: 1,
  maxItems: PERMISSIONS.length,
  uniqueItems: true,
  description: 'A non-empty set of `deposit`, `transfer`, `read`, `withdraw`, each at most once',
});
const Expiry = Type.Enum(EXPIRIES, {
  description: 'Lifetime from now: one hour, one day, one calendar month or one calendar year (UTC)',
});

const CreateKeyRequest = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: MAX_KEY_NAME_LENGTH,
      // At least one visible character and no control characters; surrounding spaces are trimmed.
      pattern: '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$',
      description: 'A label to tell keys apart',
    }),
    permissions: Permissions,
    expiry: Expiry,
  },
  { additionalProperties: false },
);
const RolloverRequest = Type.Object(
  { expired_key_id: KeyId, expiry: Expiry },
  { additionalProperties: false },
);
const KeyIdParams = Type.Object({ key_id: KeyId });

const CreatedKey = Type.Object({
  id: KeyId,
  name: Type.String(),
  api_key: Type.String({ description: 'The secret for the `x-api-key` header; shown this once only' }),
  permissions: Permissions,
  expires_at: Timestamp,
  created_at: Timestamp,
});
const KeySummary = Type.Object({
  id: KeyId,
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, to recognise it' }),
  permissions: Permissions,
  status: Type.Enum(['active', 'expired', 'revoked']),
  expires_at: Timestamp,
  created_at: Timestamp,
  last_used_at: Type.Union([Timestamp, Type.Null()], {
    description: 'Refreshed at most once a minute',
  }),
});

function createdKeyBody(key: CreatedApiKey) {
  return {
    id: key.id,
    name: key.name,
    api_key: key.apiKey,
    permissions: key.permissions,
    expires_at: key.expiresAt.toISOString(),
    created_at: key.createdAt.toISOString(),
  };
}

/** The operations' schemas: what they take and answer, and their documentation. */
const createKeySchema = {
  tags: ['keys'],
  summary: 'Create an API key',
  description:
    `At most ${MAX_ACTIVE_KEYS} active keys per user (\`409 api_key_limit_reached\`). ` +
    'The response is the only time the full key is shown.',
  body: CreateKeyRequest,
  response: { 201: CreatedKey },
};
const listKeysSchema = {
  tags: ['keys'],
  summary: 'List your API keys, never their secrets',
  description: `Active keys first, then the others newest first; at most ${MAX_LISTED_KEYS}.`,
  response: { 200: Type.Array(KeySummary, { maxItems: MAX_LISTED_KEYS }) },
};
const rolloverKeySchema = {
  tags: ['keys'],
  summary: 'Replace an expired key with a new one of the same name and permissions',
  description:
    'Once per expired key (`409 api_key_already_rolled_over`); a live key is ' +
    '`409 api_key_not_expired`, a revoked one `409 api_key_revoked`, another user’s or an unknown one ' +
    '`404 api_key_not_found`. The new key counts toward the active key limit.',
  body: RolloverRequest,
  response: { 201: CreatedKey },
};
const revokeKeySchema = {
  tags: ['keys'],
  summary: 'Revoke an API key; it stops working at once',
  description:
    'Idempotent: revoking an already revoked key answers `204` again. Another user’s or an unknown ' +
    'key is `404 api_key_not_found`.',
  params: KeyIdParams,
  response: { 204: Type.Null({ description: 'Revoked' }) },
};

export const keyRoutes: FastifyPluginAsyncTypebox<{ db: Database; config: Config }> = async (
  app,
  { db, config },
) => {
  const mode = apiKeyModeFor(config.paystack.secretKey);

  app.post('/keys/create', { config: JWT_ONLY, schema: createKeySchema }, async (request, reply) => {
    const key = await createApiKey(db, { userId: principalOf(request).userId, mode, ...request.body });
    return reply.code(201).header('cache-control', 'no-store').send(createdKeyBody(key));
  });

  app.get('/keys', { config: JWT_ONLY, schema: listKeysSchema }, async (request) => {
    const keys = await listApiKeys(db, principalOf(request).userId);
    return keys.map((key) => ({
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      permissions: key.permissions,
      status: key.status,
      expires_at: key.expiresAt.toISOString(),
      created_at: key.createdAt.toISOString(),
      last_used_at: key.lastUsedAt?.toISOString() ?? null,
    }));
  });

  app.post('/keys/rollover', { config: JWT_ONLY, schema: rolloverKeySchema }, async (request, reply) => {
    const key = await rolloverApiKey(db, {
      userId: principalOf(request).userId,
      expiredKeyId: request.body.expired_key_id,
      expiry: request.body.expiry,
      mode,
    });
    return reply.code(201).header('cache-control', 'no-store').send(createdKeyBody(key));
  });

  app.delete('/keys/:key_id', { config: JWT_ONLY, schema: revokeKeySchema }, async (request, reply) => {
    await revokeApiKey(db, { userId: principalOf(request).userId, keyId: request.params.key_id });
    return reply.code(204).send(null);
  });
};
