import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../db/client.ts';
import { problem, sendProblem } from '../http/problem.ts';

const READINESS_TIMEOUT_MS = 2_000;

async function pingDatabase(database: DatabaseHandle): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), READINESS_TIMEOUT_MS);
  });
  try {
    const ping = database.db.execute(sql`select 1`).then(
      () => true,
      () => false,
    );
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsyncTypebox<{ database: DatabaseHandle }> = async (
  app,
  { database },
) => {
  const Status = Type.Object({ status: Type.String() });

  app.get(
    '/healthz',
    {
      schema: { tags: ['health'], summary: 'Liveness: the process answers', response: { 200: Status } },
      logLevel: 'warn',
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: { tags: ['health'], summary: 'Readiness: the database answers', response: { 200: Status } },
      logLevel: 'warn',
    },
    async (request, reply) => {
      if (await pingDatabase(database)) return { status: 'ready' };
      return sendProblem(reply, problem('service_unavailable', 'The database is not answering', request.id));
    },
  );
};
