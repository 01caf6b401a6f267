// A yardstick for the transfer and balance phases, not a service: the least a Node HTTP server on
// this machine can do for an API-key transfer or balance read. Fastify with no logging, hooks or
// schemas; the key's hash looked up, then the same `wallet_transfer` call or balance query as the
// service, each a named (prepared) node-postgres statement on the bench's database. It skips
// what the service must do (expiry, revocation and permission checks, the rate limiter, input
// validation, idempotency, problem+json, response schemas), so the gap between a phase and its
// floor is the price of those, and the floor against pgbench is the ceiling of Node + pg itself.
import Fastify, { type FastifyRequest } from 'fastify';
import pg from 'pg';
import { hashApiKey } from '../src/auth/api-key-format.ts';
import { newReference } from '../src/ledger/reference.ts';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const app = Fastify({ logger: false });

app.get('/readyz', async () => ({ status: 'ok' }));

async function keyOwner(request: FastifyRequest): Promise<string | undefined> {
  const key = request.headers['x-api-key'];
  if (typeof key !== 'string') return undefined;
  const owner = await pool.query<{ user_id: string }>({
    name: 'floor_key',
    text: 'select user_id from api_keys where key_hash = $1',
    values: [hashApiKey(key)],
  });
  return owner.rows[0]?.user_id;
}

app.post<{ Body: { wallet_number: string; amount: number } }>('/wallet/transfer', async (request, reply) => {
  const userId = await keyOwner(request);
  if (userId === undefined) return reply.code(401).send({ error: 'invalid_api_key' });
  const reference = newReference('trf');
  const result = await pool.query<{ sender_balance: string }>({
    name: 'floor_transfer',
    text: 'select sender_balance from wallet_transfer($1::uuid, $2, $3::bigint, $4)',
    values: [userId, request.body.wallet_number, request.body.amount, reference],
  });
  return {
    status: 'success',
    reference,
    amount: request.body.amount,
    balance: Number(result.rows[0]?.sender_balance),
  };
});

app.get('/wallet/balance', async (request, reply) => {
  const userId = await keyOwner(request);
  if (userId === undefined) return reply.code(401).send({ error: 'invalid_api_key' });
  const wallet = await pool.query<{ wallet_number: string; balance: string }>({
    name: 'floor_balance',
    text: `select w.wallet_number, a.balance from wallets w join accounts a on a.id = w.account_id
            where w.user_id = $1`,
    values: [userId],
  });
  const row = wallet.rows[0];
  if (row === undefined) return reply.code(404).send({ error: 'wallet_not_found' });
  return { balance: Number(row.balance), currency: 'NGN', wallet_number: row.wallet_number };
});

await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' });
