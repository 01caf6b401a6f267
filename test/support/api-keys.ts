import { expect } from 'vitest';
import type { TestUser } from './app.ts';
import { type JsonBody, json } from './http.ts';

/** An API key as the service issues it with a Paystack test key: `sk_test_`, 32 random and 6 checksum characters. */
export const KEY_FORMAT = /^sk_test_[0-9A-Za-z]{38}$/;

export type Headers = Record<string, string>;

/** A request to the app at `base`, with `body` (when given) as JSON. */
export function sendTo(base: string, method: string, path: string, headers: Headers, body?: unknown) {
  return fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export const keyAuth = (key: string): Headers => ({ 'x-api-key': key });

export interface CreateBody {
  name?: string;
  permissions?: string[];
  expiry?: string;
}

/** POST /keys/create as `user` (a `read` key named `ci` for a day unless `body` says otherwise); expects 201. */
export async function createKeyAt(base: string, user: TestUser, body: CreateBody = {}): Promise<JsonBody> {
  const response = await sendTo(base, 'POST', '/keys/create', user.auth, {
    name: 'ci',
    permissions: ['read'],
    expiry: '1D',
    ...body,
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return json(response);
}
