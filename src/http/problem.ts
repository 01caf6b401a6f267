import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { databaseErrorCode } from '../db/client.ts';
import { AppError, ERRORS, type ErrorCode } from '../errors.ts';
import { refusals } from '../observability/metrics.ts';
import { UUID_PATTERN } from '../routes/schemas.ts';
import { WITHDRAWAL_REFERENCE_PATTERN } from '../withdrawals/fees.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  request_id: string;
  [extension: string]: unknown;
}

/**
 * RFC 9457 problem details for `code`: its title and status come from the error catalogue
 * (`src/errors.ts`). `status` overrides the catalogue's for an error that carries its own: an
 * `AppError` of a catalogued variant, or the framework's 4xx behind `bad_request`.
 */
export function problem(
  code: ErrorCode,
  detail: string,
  requestId: string,
  options: { status?: number; extensions?: Readonly<Record<string, unknown>> } = {},
): ProblemBody {
  return {
    type: `urn:wallet:problem:${code}`,
    title: ERRORS[code].title,
    status: options.status ?? ERRORS[code].status,
    detail,
    code,
    request_id: requestId,
    ...options.extensions,
  };
}

export function sendProblem(reply: FastifyReply, body: ProblemBody): FastifyReply {
  refusals.inc({ code: body.code });
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

/**
 * What a malformed field must look like, in words, by the field's name: a failed `pattern` or
 * `format` is described with these, never with the regular expression itself.
 */
const FORMATS_IN_WORDS: Readonly<Record<string, string>> = {
  limit: 'a whole number from 1 to 100, such as 20',
  cursor: 'the cursor from the previous page’s Link header, unchanged',
  wallet_number: 'a wallet number: 13 digits, such as 4829103756218',
  'idempotency-key': 'a key of 1 to 255 visible ASCII characters without spaces, such as a UUID',
  key_id: 'an API key id: a UUID such as 6f1c1b4e-8d6a-4b8e-9d7e-1f2a3b4c5d6e',
  id: 'an id: a UUID such as 6f1c1b4e-8d6a-4b8e-9d7e-1f2a3b4c5d6e',
  expired_key_id: 'an API key id: a UUID such as 6f1c1b4e-8d6a-4b8e-9d7e-1f2a3b4c5d6e',
  name: 'text with at least one visible character and no control characters',
};

/**
 * Formats described by the schema's own pattern or format, which, unlike a field's name, is the
 * same wherever the field appears: a withdrawal's `reference` is not a deposit's.
 */
const PATTERNS_IN_WORDS: Readonly<Record<string, string>> = {
  [WITHDRAWAL_REFERENCE_PATTERN]: 'a withdrawal reference: wdr_ and 26 lowercase letters or digits',
  '^[A-Za-z0-9.=-]{1,100}$': 'a deposit reference: 1 to 100 letters, digits, hyphens, dots or equals signs',
  '^[0-9]{10}$': 'a 10-digit NUBAN account number, such as 0123456789',
  '^[0-9A-Za-z]{1,20}$': 'a bank code from GET /banks, such as 058',
};
/** Formats too general to say more than their shape; a field's own words (above) go first. */
const GENERIC_FORMATS: Readonly<Record<string, string>> = {
  [UUID_PATTERN]: 'a UUID such as 6f1c1b4e-8d6a-4b8e-9d7e-1f2a3b4c5d6e',
  uuid: 'a UUID such as 6f1c1b4e-8d6a-4b8e-9d7e-1f2a3b4c5d6e',
};
/** Ajv's JSON types, as a sentence says them. */
const TYPES_IN_WORDS: Readonly<Record<string, string>> = {
  string: 'text (a JSON string)',
  object: 'a JSON object',
  array: 'a JSON array',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
};

/** SPEC: amounts are integers in kobo; an example in naira says what that means. */
const KOBO_EXAMPLE = '₦5,000 is 500000';

/** `kobo` as naira for a message, e.g. 1000000000 as `₦10,000,000`. */
function naira(kobo: number): string {
  return `₦${(kobo / 100).toLocaleString('en-NG', { maximumFractionDigits: 2 })}`;
}

/** One Ajv error as a sentence a client's developer can act on, naming the field. */
function describeValidation(error: FastifyError): string {
  const first = error.validation?.[0];
  if (!first) return error.message;
  const where = error.validationContext ?? 'request';
  const segments = first.instancePath ? first.instancePath.replace(/^\//, '').split('/') : [];
  const params = first.params as {
    missingProperty?: string;
    additionalProperty?: string;
    allowedValues?: unknown[];
    limit?: number;
    pattern?: string;
    format?: string;
    type?: string;
  };
  const field = [where, ...segments, params.missingProperty ?? params.additionalProperty]
    .filter(Boolean)
    .join('.');
  if (params.additionalProperty) return `${field}: unknown field`;
  if (params.missingProperty) return `${field}: is required`;
  const name = [...segments].reverse().find((segment) => !/^\d+$/.test(segment)) ?? '';
  if (name === 'amount') {
    if (first.keyword === 'minimum' && typeof params.limit === 'number') {
      return `${field}: must be at least ${params.limit} kobo (${naira(params.limit)}); amounts are in kobo: ${KOBO_EXAMPLE}`;
    }
    if (first.keyword === 'maximum' && typeof params.limit === 'number') {
      return `${field}: must be at most ${params.limit} kobo (${naira(params.limit)}); amounts are in kobo: ${KOBO_EXAMPLE}`;
    }
    return `${field}: must be a whole number of kobo, without a fraction (${KOBO_EXAMPLE})`;
  }
  if (first.keyword === 'enum' && params.allowedValues) {
    return `${field}: must be one of ${params.allowedValues.map(String).join(', ')}`;
  }
  if (first.keyword === 'pattern' || first.keyword === 'format') {
    const shape = params.pattern ?? params.format ?? '';
    const words =
      PATTERNS_IN_WORDS[shape] ??
      FORMATS_IN_WORDS[name] ??
      GENERIC_FORMATS[shape] ??
      'in the documented format (see /docs)';
    return `${field}: must be ${words}`;
  }
  if (first.keyword === 'type' && params.type !== undefined && TYPES_IN_WORDS[params.type]) {
    return `${field}: must be ${TYPES_IN_WORDS[params.type]}`;
  }
  return `${field}: ${first.message ?? 'is invalid'}`;
}

/** Maps any error thrown while handling a request to problem details; never leaks internals. */
export function toProblem(error: unknown, request: FastifyRequest): ProblemBody {
  if (error instanceof AppError) {
    return problem(error.code, error.message, request.id, {
      status: error.status,
      extensions: error.extensions,
    });
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    return problem('validation_failed', describeValidation(fastifyError as FastifyError), request.id);
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(
        'payload_too_large',
        'The request body exceeds the size limit (16 KiB; 256 KiB for the Paystack webhook)',
        request.id,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem('unsupported_media_type', 'Send the body as application/json', request.id);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem('invalid_json', 'The body is not valid JSON', request.id);
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return problem('invalid_json', 'The body is not valid JSON', request.id);
  }
  if (isDatabaseUnavailable(error)) {
    return problem('service_unavailable', 'The database is unavailable; retry shortly', request.id);
  }
  const status = fastifyError.statusCode;
  if (status === 414) {
    // Fastify's message repeats the whole over-long parameter: not worth sending back.
    return problem('bad_request', 'A path parameter is longer than 100 characters', request.id, { status });
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return problem('bad_request', (fastifyError.message ?? 'Bad request').slice(0, 300), request.id, {
      status,
    });
  }
  return problem('internal_error', 'An unexpected error occurred', request.id);
}
