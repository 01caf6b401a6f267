import type { FastifyRequest } from 'fastify';
import { sameSecret } from '../same-secret.ts';
import { PaystackApiError } from './api-errors.ts';

/** Paystack's check of `Authorization: Bearer <secret key>`, with its messages; throws PaystackApiError (401). */
export function authorize(request: FastifyRequest, secretKey: string): void {
  const header = request.headers.authorization;
  if (header === undefined) throw new PaystackApiError(401, 'No Authorization Header was found');
  const match = /^Bearer (\S+)$/.exec(header);
  if (!match) throw new PaystackApiError(401, 'Format is Authorization Bearer [secret key]');
  if (!sameSecret(match[1] as string, secretKey)) throw new PaystackApiError(401, 'Invalid key');
}
