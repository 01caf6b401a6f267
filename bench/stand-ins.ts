// Stand-ins for Google and Paystack, each on a server of its own, as the real ones stand apart.
import Fastify, { type FastifyInstance } from 'fastify';
import { freePort } from '../harness/free-port.ts';
import { type OidcClient, oidcProvider } from '../src/dev/oidc-provider.ts';
import { paystackSimulator } from '../src/dev/paystack/simulator.ts';
import { TRANSFER_WEBHOOK_DELAY_MS } from './settings.ts';

export interface StandIns {
  issuer: string;
  client: OidcClient;
  paystackUrl: string;
  close(): Promise<void>;
}

/** The dev OpenID provider (one client, `redirectUri`) and the Paystack simulator, listening on loopback. */
export async function startStandIns(options: {
  redirectUri: string;
  paystackSecretKey: string;
  webhookUrl: string;
  clientSecret: string;
}): Promise<StandIns> {
  const providerPort = await freePort();
  const issuer = `http://127.0.0.1:${providerPort}`;
  const client: OidcClient = {
    clientId: 'wallet-bench',
    clientSecret: options.clientSecret,
    redirectUris: [options.redirectUri],
  };
  const provider: FastifyInstance = Fastify();
  await provider.register(oidcProvider, { issuer, clients: [client] });
  await provider.listen({ port: providerPort, host: '127.0.0.1' });

  const paystack: FastifyInstance = Fastify();
  await paystack.register(paystackSimulator, {
    secretKey: options.paystackSecretKey,
    // The bench signs and sends its own webhooks; the simulator's Pay button is never pressed.
    webhookUrl: options.webhookUrl,
    transferWebhookDelayMs: TRANSFER_WEBHOOK_DELAY_MS,
  });
  const paystackUrl = await paystack.listen({ port: 0, host: '127.0.0.1' });
  return {
    issuer,
    client,
    paystackUrl,
    async close() {
      await provider.close();
      await paystack.close();
    },
  };
}
