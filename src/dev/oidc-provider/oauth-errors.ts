import type { FastifyError, FastifyInstance } from 'fastify';

/** A refusal in OAuth's terms (RFC 6749 §5.2): answered as `{error, error_description}`. */
export class OAuthError extends Error {
  readonly status: number;
  readonly error: string;

  constructor(status: number, error: string, description: string) {
    super(description);
    this.status = status;
    this.error = error;
  }
}

/**
 * A query or form parameter: `undefined` when absent or empty; throws OAuthError (400
 * `invalid_request`) when repeated. Values arrive as strings, arrays (repeated) or not at all.
 */
export function single(source: unknown, name: string): string | undefined {
  const value = (source as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new OAuthError(400, 'invalid_request', `parameter ${name} must be given exactly once`);
  }
  return value === '' ? undefined : value;
}

/** OAuth clients expect `{error, error_description}`, not the service's problem details. */
export function answerErrorsAsOAuth(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    let oauth: OAuthError;
    const { statusCode, message } = error as Partial<FastifyError>;
    if (error instanceof OAuthError) oauth = error;
    else if (statusCode !== undefined && statusCode < 500) {
      oauth = new OAuthError(400, 'invalid_request', message ?? 'bad request');
    } else {
      request.log.error({ err: error }, 'dev OIDC provider failed');
      oauth = new OAuthError(500, 'server_error', 'unexpected error');
    }
    if (oauth.status === 401) reply.header('www-authenticate', 'Basic realm="dev-oidc"');
    return reply
      .code(oauth.status)
      .header('cache-control', 'no-store')
      .send({ error: oauth.error, error_description: oauth.message });
  });
}
