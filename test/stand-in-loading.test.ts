import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/free-port.ts';
import { json } from './support/http.ts';
import { startTestPaystack } from './support/paystack.ts';
import { startServiceProcess, timeoutForStarts } from './support/service-process.ts';
import { signInThroughProvider, startTestOidcProvider } from './support/sign-in.ts';

// Which modules a service process loads, recorded by a preload module's loader hooks: with Google
// and Paystack configured, nothing under src/dev/; without them, the stand-ins.

const PRELOAD = new URL('./support/record-loaded-modules.mjs', import.meta.url).href;
const SRC = new URL('../src/', import.meta.url).href;

// One DATA_DIR for both processes: only the first pays for creating the embedded database.
const dataDir = mkdtempSync(join(tmpdir(), 'wallet-stand-ins-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * Runs `src/server.ts` as `npm start` does with `env`, lets `exercise` use it, stops it, and
 * returns the modules of src/ it loaded, as paths relative to src/, and the URLs of all it loaded.
 */
async function srcModulesLoaded(
  name: string,
  options: { env: Record<string, string>; port?: number; exercise: (url: string) => Promise<void> },
): Promise<{ src: string[]; all: string[] }> {
  const record = join(dataDir, `${name}.modules`);
  const service = await startServiceProcess({
    env: {
      ...options.env,
      DATA_DIR: dataDir,
      NODE_OPTIONS: `--import ${PRELOAD}`,
      RECORD_LOADED_MODULES_TO: record,
    },
    ...(options.port === undefined ? {} : { port: options.port }),
  });
  try {
    await options.exercise(service.url);
  } finally {
    expect(await service.stop()).toBe(0);
  }
  const all = readFileSync(record, 'utf8').split('\n');
  return {
    src: [...new Set(all.filter((url) => url.startsWith(SRC)).map((url) => url.slice(SRC.length)))],
    all,
  };
}

describe('the stand-ins in src/dev/', { timeout: timeoutForStarts(1) }, () => {
  it('are never loaded by a production process, which signs in with Google and deposits through Paystack', async () => {
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/auth/google/callback`;
    const google = await startTestOidcProvider([redirectUri]);
    const paystack = await startTestPaystack();
    try {
      const { src: loaded, all } = await srcModulesLoaded('production', {
        port,
        env: {
          NODE_ENV: 'production',
          JWT_SECRET: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
          GOOGLE_ISSUER: google.issuer,
          GOOGLE_CLIENT_ID: google.client.clientId,
          GOOGLE_CLIENT_SECRET: google.client.clientSecret,
          GOOGLE_REDIRECT_URI: redirectUri,
          PAYSTACK_SECRET_KEY: paystack.secretKey,
          PAYSTACK_BASE_URL: paystack.url,
        },
        exercise: async (url) => {
          const { access_token } = await signInThroughProvider(url, 'production@example.com');
          const started = await fetch(`${url}/wallet/deposit`, {
            method: 'POST',
            headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ amount: 50_000 }),
          });
          expect(started.status).toBe(201);
          // Paystack's checkout as configured, not the simulator's under /dev/paystack.
          const { authorization_url } = await json(started);
          expect(new URL(authorization_url).origin).toBe(new URL(paystack.url).origin);
        },
      });
      // The recorder saw the service's own TypeScript modules, so an empty list below means something.
      expect(loaded).toEqual(
        expect.arrayContaining(['server.ts', 'app.ts', 'routes/auth.ts', 'paystack/setup.ts']),
      );
      expect(loaded.filter((module) => module.startsWith('dev/'))).toEqual([]);
      // Without OTEL_EXPORTER_OTLP_ENDPOINT, none of OpenTelemetry is loaded (SPEC "Operations").
      expect(all.some((url) => url.includes('/node_modules/fastify/'))).toBe(true);
      expect(all.filter((url) => /@opentelemetry|@fastify\/otel|observability\/tracing/.test(url))).toEqual(
        [],
      );
    } finally {
      await paystack.close();
      await google.stop();
    }
  });

  it('are loaded by a process with no configuration, which signs in through the dev provider', async () => {
    const { src: loaded } = await srcModulesLoaded('development', {
      env: {},
      exercise: async (url) => {
        await signInThroughProvider(url, 'development@example.com');
      },
    });
    expect(loaded).toEqual(
      expect.arrayContaining([
        'dev/dev-sign-in.ts',
        'dev/oidc-provider.ts',
        'dev/paystack/mount.ts',
        'dev/paystack/simulator.ts',
      ]),
    );
  });
});
