import { once } from 'node:events';
import { createServer } from 'node:net';

/** A loopback port that was free a moment ago, for servers whose URL is configured before they listen. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
