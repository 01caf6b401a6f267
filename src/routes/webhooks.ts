import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { Database } from '../db/client.ts';
import { principalOf } from '../http/authentication.ts';
import {
  createEndpoint,
  DEFAULT_DELIVERY_PAGE_SIZE,
  deleteEndpoint,
  listDeliveries,
  listEndpoints,
  MAX_DELIVERY_PAGE_SIZE,
  MAX_ENDPOINTS_PER_USER,
  MAX_PENDING_TESTS,
  rotateSecret,
  sendTestEvent,
  TEST_EVENT_TYPE,
  type WebhookEndpoint,
} from '../notifications/endpoints.ts';
import { EVENT_TYPES } from '../notifications/outbox.ts';
import { MAX_WEBHOOK_URL_LENGTH, type UrlPolicy } from '../notifications/url-guard.ts';
import { uuidString } from './schemas.ts';

const JWT_ONLY = { auth: { allowApiKey: false } };

const EndpointId = uuidString('The endpoint’s id, a UUID such as 6f1c1b4e-8d6a-4b8e-9d7e-1f2a3b4c5d6e');
const Timestamp = Type.String({ format: 'date-time' });
const EventTypes = Type.Array(Type.Enum(EVENT_TYPES), {
  minItems: 1,
  maxItems: EVENT_TYPES.length,
  uniqueItems: true,
  description: 'A non-empty set of event types, each at most once',
});
const Secret = Type.String({
  description: '`whsec_` and the base64 of 32 random bytes: verify signatures with it (Standard Webhooks)',
});

const CreateEndpointRequest = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      description:
        `Where to POST events: an absolute https:// URL of at most ${MAX_WEBHOOK_URL_LENGTH} characters, ` +
        'without a user name or password, whose host is public (in production)',
    }),
    events: Type.Optional(EventTypes),
  },
  { additionalProperties: false },
);
const EndpointFields = {
  id: EndpointId,
  url: Type.String(),
  events: Type.Union([EventTypes, Type.Null()], {
    description: '`null`: every event type, including types added later',
  }),
  status: Type.Enum(['enabled', 'disabled'], {
    description: '`disabled` once the receiver answered `410 Gone`; nothing more is sent to it',
  }),
  created_at: Timestamp,
};
const CreatedEndpoint = Type.Object({ ...EndpointFields, secret: Secret });
const EndpointSummary = Type.Object({
  ...EndpointFields,
  disabled_reason: Type.Union([Type.String(), Type.Null()]),
});
const EndpointParams = Type.Object({ id: EndpointId });
const DeliveriesQuery = Type.Object(
  {
    // Query strings are text: the limit is parsed after a strict pattern check, not coerced.
    limit: Type.Optional(
      Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: `1 to ${MAX_DELIVERY_PAGE_SIZE}` }),
    ),
    cursor: Type.Optional(Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);
const Delivery = Type.Object({
  id: Type.String({ description: 'The `webhook-id` header of every attempt: `msg_` and a UUID' }),
  event_id: Type.String({ format: 'uuid' }),
  type: Type.String({ description: `An event type, or \`${TEST_EVENT_TYPE}\`` }),
  attempt: Type.Integer({ description: 'Attempts made so far' }),
  status: Type.Enum(['pending', 'delivered', 'failed']),
  response_status: Type.Union([Type.Integer(), Type.Null()], {
    description: 'The HTTP status of the last attempt’s answer; `null` when there was none',
  }),
  last_error: Type.Union([Type.String(), Type.Null()], { description: 'Why the last attempt failed' }),
  next_attempt_at: Type.Union([Timestamp, Type.Null()], {
    description: 'While `pending`: when the next attempt is due',
  }),
  created_at: Timestamp,
});

function endpointView(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    status: endpoint.status,
    created_at: endpoint.createdAt.toISOString(),
  };
}

/** The operations' schemas: what they take and answer, and their documentation. */
const createSchema = {
  tags: ['webhooks'],
  summary: 'Register a URL to receive event notifications (webhooks)',
  description:
    `At most ${MAX_ENDPOINTS_PER_USER} endpoints per user (\`409 webhook_endpoint_limit_reached\`); a URL ` +
    'the service may not call is `400 invalid_webhook_url`. The response is the only time the signing ' +
    'secret is shown. `events` absent: every type.',
  body: CreateEndpointRequest,
  response: { 201: CreatedEndpoint },
};
const listSchema = {
  tags: ['webhooks'],
  summary: 'List your webhook endpoints, never their secrets',
  response: { 200: Type.Array(EndpointSummary, { maxItems: MAX_ENDPOINTS_PER_USER }) },
};
const deleteSchema = {
  tags: ['webhooks'],
  summary: 'Delete a webhook endpoint; nothing more is sent to it',
  description: 'Another user’s, an unknown or a deleted endpoint is `404 webhook_endpoint_not_found`.',
  params: EndpointParams,
  response: { 204: Type.Null({ description: 'Deleted' }) },
};
const rotateSchema = {
  tags: ['webhooks'],
  summary: 'Replace the signing secret',
  description:
    'For 24 hours deliveries carry a signature under the old secret too, so receivers can switch ' +
    'without missing one. The response is the only time the new secret is shown.',
  params: EndpointParams,
  response: { 200: Type.Object({ secret: Secret }) },
};
const deliveriesSchema = {
  tags: ['webhooks'],
  summary: 'The endpoint’s deliveries, newest first',
  description:
    'Keyset-paginated: when more items exist, the `Link` header carries the next page’s URL with `rel="next"`.',
  params: EndpointParams,
  querystring: DeliveriesQuery,
  response: { 200: Type.Array(Delivery) },
};
const testSchema = {
  tags: ['webhooks'],
  summary: `Send a \`${TEST_EVENT_TYPE}\` event to this endpoint`,
  description:
    `Delivered like any event, with retries; at most ${MAX_PENDING_TESTS} may wait at once ` +
    '(`409 too_many_pending_webhook_tests`). Follow it with `GET /webhooks/{id}/deliveries`.',
  params: EndpointParams,
  response: {
    202: Type.Object({ delivery_id: Type.String({ description: 'The `webhook-id` it is sent with' }) }),
  },
};

/** SPEC "Notifications to client applications": the endpoints API, JWT only. */
export const webhookRoutes: FastifyPluginAsyncTypebox<{ db: Database; urlPolicy: UrlPolicy }> = async (
  app,
  { db, urlPolicy },
) => {
  app.post('/webhooks', { config: JWT_ONLY, schema: createSchema }, async (request, reply) => {
    const endpoint = await createEndpoint(
      db,
      { userId: principalOf(request).userId, url: request.body.url, events: request.body.events },
      urlPolicy,
    );
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({ ...endpointView(endpoint), secret: endpoint.secret });
  });

  app.get('/webhooks', { config: JWT_ONLY, schema: listSchema }, async (request) => {
    const endpoints = await listEndpoints(db, principalOf(request).userId);
    return endpoints.map((endpoint) => ({
      ...endpointView(endpoint),
      disabled_reason: endpoint.disabledReason,
    }));
  });

  app.delete('/webhooks/:id', { config: JWT_ONLY, schema: deleteSchema }, async (request, reply) => {
    await deleteEndpoint(db, { userId: principalOf(request).userId, endpointId: request.params.id });
    return reply.code(204).send(null);
  });

  app.post(
    '/webhooks/:id/rotate-secret',
    { config: JWT_ONLY, schema: rotateSchema },
    async (request, reply) => {
      const rotated = await rotateSecret(db, {
        userId: principalOf(request).userId,
        endpointId: request.params.id,
      });
      return reply.header('cache-control', 'no-store').send(rotated);
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    { config: JWT_ONLY, schema: deliveriesSchema },
    async (request, reply) => {
      const limit =
        request.query.limit === undefined ? DEFAULT_DELIVERY_PAGE_SIZE : Number(request.query.limit);
      const page = await listDeliveries(db, {
        userId: principalOf(request).userId,
        endpointId: request.params.id,
        limit,
        cursor: request.query.cursor,
      });
      if (page.nextCursor) {
        const next = new URLSearchParams({ limit: String(limit), cursor: page.nextCursor });
        reply.header('link', `</webhooks/${request.params.id}/deliveries?${next}>; rel="next"`);
      }
      return page.items.map((item) => ({
        id: item.id,
        event_id: item.eventId,
        type: item.type,
        attempt: item.attempt,
        status: item.status,
        response_status: item.responseStatus,
        last_error: item.lastError,
        next_attempt_at: item.nextAttemptAt?.toISOString() ?? null,
        created_at: item.createdAt.toISOString(),
      }));
    },
  );

  app.post('/webhooks/:id/test', { config: JWT_ONLY, schema: testSchema }, async (request, reply) => {
    const sent = await sendTestEvent(db, {
      userId: principalOf(request).userId,
      endpointId: request.params.id,
    });
    return reply.code(202).send({ delivery_id: sent.deliveryId });
  });
};
