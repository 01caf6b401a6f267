import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { ResolvedAddress, SafeUrl } from './url-guard.ts';

/** A receiver's answer is read no further than this, then discarded: only its status counts. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
export const USER_AGENT = 'wallet-service-webhooks/1.0';
/** `last_error` is a short reason, not a transcript. */
const MAX_ERROR_LENGTH = 200;

/** What one attempt's HTTP exchange came to. */
export type SendResult =
  /** The receiver answered with this status (any: 2xx, 3xx never followed, 4xx, 5xx). */
  | { kind: 'answered'; status: number }
  /** No answer within the timeout. */
  | { kind: 'timeout' }
  /** No answer at all: refused connection, reset, TLS failure. */
  | { kind: 'unreachable'; reason: string }
  /** The worker stopped (the service is shutting down) before an answer came. */
  | { kind: 'aborted' };

/** The body of every webhook (SPEC): `{"type", "timestamp", "data"}`, `timestamp` in ISO 8601. */
export function webhookBody(event: { type: string; occurredAt: Date; data: unknown }): string {
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt.toISOString(), data: event.data });
}

/**
 * The Standard Webhooks headers of one attempt (https://www.standardwebhooks.com/, "Signature
 * scheme"): `webhook-id` (stable across retries), `webhook-timestamp` (Unix seconds of this
 * attempt) and `webhook-signature`, `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, made by
 * the `standardwebhooks` package's `Webhook#sign` once per secret given (each `whsec_<base64>`)
 * and joined by spaces, so after a rotation either secret verifies.
 */
export function signedHeaders(
  webhookId: string,
  at: Date,
  body: string,
  secrets: readonly string[],
): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(webhookId, at, body));
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}

/**
 * A lookup that answers only with the addresses the URL guard vetted, so the connection goes to
 * an address that was checked: a host whose DNS answer changes between the check and the connect
 * (DNS rebinding) cannot slip in a private address.
 */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
    const usable = addresses.filter((entry) => wanted === undefined || entry.family === wanted);
    const [first] = usable;
    if (first === undefined) {
      callback(Object.assign(new Error('no vetted address of this family'), { code: 'ENOTFOUND' }), '', 0);
    } else if (options.all) {
      callback(
        null,
        usable.map((entry) => ({ address: entry.address, family: entry.family })),
      );
    } else {
      callback(null, first.address, first.family);
    }
  };
}

function shortReason(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

/**
 * POSTs `body` (JSON) with `headers` to `target`, a URL the guard accepted: `content-type`,
 * `user-agent` and `content-length` added, one fresh connection (no pool shared between
 * receivers), redirects never followed (`node:http` does not: a 3xx is just its status), and one
 * `timeoutMs` for the whole exchange: no status line by then is a `timeout`; a body still coming
 * then is cut, its status kept. The answer's body is read at most MAX_RESPONSE_BYTES and
 * discarded. `stop` ends the exchange early (`aborted`). Never throws.
 */
export function postWebhook(
  target: SafeUrl,
  body: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<SendResult> {
  const transport = target.url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    if (stop.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    // One controller per exchange, fed by the timeout and by `stop`, whose listener is removed at
    // the end: `stop` lives as long as the worker and must not collect one per send.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onStop = () => controller.abort();
    stop.addEventListener('abort', onStop, { once: true });
    let settled = false;
    // Once the status line has come, a later abort (the timeout during the body) still counts it.
    let status: number | undefined;
    const settle = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      resolve(result);
    };
    const failed = (error: unknown) => {
      if (status !== undefined) settle({ kind: 'answered', status });
      else if (stop.aborted) settle({ kind: 'aborted' });
      else if (timedOut) settle({ kind: 'timeout' });
      else settle({ kind: 'unreachable', reason: shortReason(error) });
    };
    const request = transport.request(target.url, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'content-length': String(Buffer.byteLength(body)),
      },
      agent: false,
      signal: controller.signal,
      ...(target.addresses === undefined ? {} : { lookup: pinnedLookup(target.addresses) }),
    });
    request.on('error', failed);
    request.on('response', (response) => {
      // The status decides; the body is drained (bounded) only so the exchange ends cleanly.
      const answered = response.statusCode ?? 0;
      status = answered;
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > MAX_RESPONSE_BYTES) response.destroy();
      });
      const done = () => settle({ kind: 'answered', status: answered });
      response.on('error', done);
      response.on('close', done);
      response.on('end', done);
    });
    request.end(body);
  });
}
