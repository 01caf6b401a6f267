import type { FastifyError, FastifyInstance } from 'fastify';

/** A refusal in Paystack's words: answered as `{"status": false, "message", ...extra}`. */
export class PaystackApiError extends Error {
  readonly statusCode: number;
  readonly extra: Record<string, unknown>;

  constructor(statusCode: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.statusCode = statusCode;
    this.extra = extra;
  }
}

/** Paystack's clients expect `{"status": false, "message"}`, not the service's problem details. */
export function answerErrorsAsPaystack(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof PaystackApiError) {
      return reply.code(error.statusCode).send({ status: false, message: error.message, ...error.extra });
    }
    const { statusCode, message } = error as Partial<FastifyError>;
    if (statusCode !== undefined && statusCode < 500) {
      return reply.code(statusCode).send({ status: false, message: message ?? 'Bad request' });
    }
    request.log.error({ err: error }, 'Paystack simulator failed');
    return reply.code(500).send({ status: false, message: 'An error occurred' });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ status: false, message: 'Entity not found' }),
  );
}
