import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { databaseErrorCode } from '../db/client.ts';
import { AppError } from '../errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id: string;
  [extension: string]: unknown;
}

/** The stable `code` values a client can branch on, each with its short title. */
const TITLES: Record<string, string> = {
  validation_failed: 'Request validation failed',
  invalid_json: 'Malformed JSON body',
  payload_too_large: 'Request body too large',
  unsupported_media_type: 'Unsupported media type',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  unauthenticated: 'Authentication required',
  invalid_token: 'Invalid access token',
  invalid_api_key: 'Invalid API key',
  api_key_expired: 'API key expired',
  api_key_revoked: 'API key revoked',
  ambiguous_credentials: 'Ambiguous credentials',
  permission_denied: 'Permission denied',
  api_key_not_found: 'API key not found',
  api_key_limit_reached: 'Too many active API keys',
  api_key_not_expired: 'API key not expired',
  api_key_already_rolled_over: 'API key already rolled over',
  invalid_sign_in_state: 'Invalid sign-in state',
  sign_in_denied: 'Sign-in denied',
  sign_in_failed: 'Sign-in failed',
  email_not_verified: 'Email not verified',
  identity_provider_error: 'Identity provider error',
  payment_provider_error: 'Payment provider error',
  deposit_not_found: 'Deposit not found',
  invalid_signature: 'Invalid webhook signature',
  invalid_event: 'Unreadable webhook event',
  rate_limited: 'Too many requests',
  service_unavailable: 'Service unavailable',
  internal_error: 'Internal server error',
};

export function problem(
  status: number,
  code: string,
  detail: string,
  requestId: string,
  extensions: Readonly<Record<string, unknown>> = {},
): ProblemBody {
  return {
    type: `urn:wallet:problem:${code}`,
    title: TITLES[code] ?? STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    request_id: requestId,
    ...extensions,
  };
}

export function sendProblem(reply: FastifyReply, body: ProblemBody): FastifyReply {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** Connection-level failures: the database is down or restarting, so the request may be retried. */
const DATABASE_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08003',
  '08006',
  '53300', // too_many_connections
]);

function isDatabaseUnavailable(error: unknown): boolean {
  const code = databaseErrorCode(error);
  if (code !== undefined && DATABASE_UNAVAILABLE_CODES.has(code)) return true;
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
        current.message,
      )
    ) {
      return true;
    }
  }
  return false;
}

function describeValidation(error: FastifyError): string {
  const first = error.validation?.[0];
  if (!first) return error.message;
  const where = error.validationContext ?? 'request';
  const path = first.instancePath ? first.instancePath.replace(/^\//, '').replaceAll('/', '.') : '';
  const missing = (first.params as { missingProperty?: string }).missingProperty;
  const extra = (first.params as { additionalProperty?: string }).additionalProperty;
  const field = [where, path, missing ?? extra].filter(Boolean).join('.');
  if (extra) return `${field}: unknown field`;
  return `${field}: ${first.message ?? 'is invalid'}`;
}

/** Maps any error thrown while handling a request to problem details; never leaks internals. */
export function toProblem(error: unknown, request: FastifyRequest): ProblemBody {
  if (error instanceof AppError) {
    return problem(error.status, error.code, error.message, request.id, error.extensions);
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    return problem(400, 'validation_failed', describeValidation(fastifyError as FastifyError), request.id);
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'payload_too_large', 'The request body exceeds 1 MiB', request.id);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'unsupported_media_type', 'Send the body as application/json', request.id);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem(400, 'invalid_json', 'The body is not valid JSON', request.id);
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return problem(400, 'invalid_json', 'The body is not valid JSON', request.id);
  }
  if (isDatabaseUnavailable(error)) {
    return problem(503, 'service_unavailable', 'The database is unavailable; retry shortly', request.id);
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return problem(status, 'bad_request', fastifyError.message ?? 'Bad request', request.id);
  }
  return problem(500, 'internal_error', 'An unexpected error occurred', request.id);
}
