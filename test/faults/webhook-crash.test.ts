import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { expectLedgerConsistent } from '../support/ledger.ts';
import { startTestPaystack, type TestPaystack } from '../support/paystack.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import { waitFor } from '../support/wait.ts';
import { createFundedUsers, faultServiceEnv } from './support.ts';

let database: TestDatabase;
let paystack: TestPaystack;
let receiver: Server;
let receiverUrl: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
/** While set, deliveries are recorded but never answered: one sent before the kill cannot complete. */
let holding = true;

beforeAll(async () => {
  database = await createTestDatabase();
  paystack = await startTestPaystack();
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      if (!holding) response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
  await paystack.close();
  await database.drop();
});

describe('kill -9 right after a transfer commits', () => {
  it('delivers its events after the restart: the outbox row committed with the money', async () => {
    // A short timeout: an attempt left unanswered by the kill is tried again soon after the restart.
    const env = faultServiceEnv(database.url as string, paystack, { WEBHOOK_TIMEOUT: '2s' });
    const [alice, bob] = await createFundedUsers(database.handle.db, 2, 100_000);
    if (!alice || !bob) throw new Error('two users');
    let service: ServiceProcess = await startServiceProcess({ env });
    const port = service.port;
    const created = await fetch(`${service.url}/webhooks`, {
      method: 'POST',
      headers: { authorization: alice.authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiverUrl, events: ['transfer.sent'] }),
    });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };

    // The answer arrives once the transfer committed; the process dies before its worker's
    // next poll can send the event (or while it sends it: delivery is at least once).
    const response = await fetch(`${service.url}/wallet/transfer`, {
      method: 'POST',
      headers: { authorization: alice.authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ wallet_number: bob.walletNumber, amount: 4_321 }),
    });
    expect(response.status).toBe(200);
    await service.crash();
    const { reference } = (await response.json()) as { reference: string };
    const ofTransfer = () => received.filter((delivery) => delivery.body.includes(reference));
    const beforeRestart = ofTransfer().length;
    holding = false;

    service = await startServiceProcess({ env, port });
    try {
      // Only a delivery made by the restarted process can be answered, so one must arrive now.
      await waitFor(() => ofTransfer().length > beforeRestart);
      const webhook = new Webhook(secret);
      for (const delivery of ofTransfer()) {
        const event = webhook.verify(delivery.body, delivery.headers as Record<string, string>) as {
          type: string;
          data: Record<string, unknown>;
        };
        expect(event).toMatchObject({
          type: 'transfer.sent',
          data: {
            reference,
            amount: 4_321,
            direction: 'debit',
            counterparty_wallet_number: bob.walletNumber,
          },
        });
      }
      // Every copy (one sent before the kill, if any) carries the same webhook-id.
      expect(new Set(ofTransfer().map((delivery) => delivery.headers['webhook-id'])).size).toBe(1);
      console.info(
        `webhook crash: the transfer's event arrived ${beforeRestart} time(s) before the kill and ` +
          `${ofTransfer().length - beforeRestart} after the restart, all with one webhook-id`,
      );
      await expectLedgerConsistent(database.handle.db);
    } finally {
      await service.stop();
    }
  });
});
