import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/free-port.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { nextResponseHead, openSocket } from './support/raw-http.ts';

let t: TestApp;
let alice: TestUser;
let port: number;

beforeAll(async () => {
  port = await freePort();
  // The dev sign-in's redirect URI is on localhost, so a start on 127.0.0.1 hops hosts first.
  t = await startTestApp({ port, env: { PORT: String(port) } });
  alice = await t.createUser('absolute@example.com');
});
afterAll(() => t.close());

async function rawGet(target: string, headers: Record<string, string> = {}): Promise<string> {
  const socket = await openSocket(t.url);
  try {
    const lines = Object.entries({ host: `127.0.0.1:${port}`, connection: 'close', ...headers });
    const head = nextResponseHead(socket, 5_000);
    socket.write(
      `GET ${target} HTTP/1.1\r\n${lines.map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n`,
    );
    return await head;
  } finally {
    socket.destroy();
  }
}

function locationOf(head: string): string | undefined {
  return /^location: (.*)$/im.exec(head)?.[1]?.trim();
}

describe('an absolute-form request target never chooses the host of a redirect', () => {
  it('redirects GET http://evil.example/auth/google to the service, not to evil.example', async () => {
    const head = await rawGet('http://evil.example/auth/google?prompt=1');
    expect(head).toMatch(/^HTTP\/1\.1 302/);
    expect(locationOf(head)).toBe(`http://localhost:${port}/auth/google?prompt=1`);
  });

  it('never redirects off the service, whatever form the target takes', async () => {
    for (const target of [
      'http://evil.example/auth/google',
      'https://evil.example:8443/auth/google',
      'HTTP://evil.example/auth/google?next=//evil.example',
      '//evil.example/auth/google',
      'http://evil.example',
    ]) {
      const location = locationOf(await rawGet(target));
      if (location !== undefined) expect(new URL(location).host, target).toBe(`localhost:${port}`);
    }
  });

  it('routes an absolute-form target by its path alone', async () => {
    const head = await rawGet(`http://evil.example/wallet/balance`, alice.auth);
    expect(head).toMatch(/^HTTP\/1\.1 200/);
  });
});
