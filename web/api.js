// The page's only way to the service: the same JSON API as every client, with the session cookie
// (sent by the browser, never readable here) and the session's CSRF token on state-changing calls.

/**
 * An RFC 9457 problem the API answered with.
 * @typedef {{ status: number, code: string, detail: string, request_id?: string }} Problem
 */

/** A refusal from the API, carrying its problem details. */
export class ApiError extends Error {
  /** @param {Problem} problem */
  constructor(problem) {
    super(problem.detail);
    this.problem = problem;
  }
}

/** @type {Problem} */
const LOST = {
  status: 0,
  code: 'network',
  detail: 'The wallet service could not be reached, or its answer was lost',
};

/**
 * Whether a refusal leaves it unknown if the request took effect: no answer at all, a server
 * error, or the same attempt still being processed. Such an attempt is retried with the same
 * Idempotency-Key, so the service does it at most once; any other answer is definite.
 * @param {Problem} problem
 */
export function outcomeUnknown(problem) {
  return problem.status === 0 || problem.status >= 500 || problem.code === 'idempotency_request_in_progress';
}

/** @type {string | null} */
let csrfToken = null;
/** @type {() => void} */
let onSignedOut = () => {};

/**
 * Set after `GET /auth/session`: the token every POST and DELETE carries in `x-csrf-token`.
 * @param {string | null} token
 */
export function setCsrfToken(token) {
  csrfToken = token;
}

/**
 * Called when the API says the session is over (`401`), so the page shows the sign-in again.
 * @param {() => void} callback
 */
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

/**
 * One API call. Throws ApiError with the problem details on any refusal (and, for `401`, tells
 * the page the session is over); a network failure becomes a problem too, so callers show one kind.
 * @param {'GET' | 'POST' | 'DELETE'} method
 * @param {string} path the API path, always on this origin
 * @param {{ body?: unknown, idempotencyKey?: string }} [options]
 * @returns {Promise<{ body: any, headers: Headers }>}
 */
export async function call(method, path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(LOST);
  }
  /** @type {any} */
  let body = null;
  try {
    const text = await response.text();
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // The answer was cut off, or is not JSON (a proxy's error page): what happened is unknown
    // when it was a success, and the status says enough when it was not.
    if (response.ok) throw new ApiError(LOST);
    body = null;
  }
  if (!response.ok) {
    const problem =
      body && typeof body.code === 'string'
        ? body
        : { status: response.status, code: 'unknown', detail: `The service answered ${response.status}` };
    if (response.status === 401) onSignedOut();
    throw new ApiError(problem);
  }
  return { body, headers: response.headers };
}

/**
 * The next page's path from a `Link: <...>; rel="next"` header, or null on the last page.
 * @param {Headers} headers
 * @returns {string | null}
 */
export function nextPage(headers) {
  const match = /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '');
  return match ? (match[1] ?? null) : null;
}

/**
 * A fresh Idempotency-Key: one per attempt, reused if that same attempt is sent again.
 * @returns {string}
 */
export function newIdempotencyKey() {
  return `web-${crypto.randomUUID()}`;
}
