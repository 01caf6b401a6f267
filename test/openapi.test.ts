import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.ts';
import { json } from './support/http.ts';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('OpenAPI', () => {
  it('documents /keys* as JWT only and each wallet route’s permission', async () => {
    const document = await json(await fetch(`${t.url}/openapi.json`));
    for (const [path, method] of [
      ['/keys/create', 'post'],
      ['/keys', 'get'],
      ['/keys/rollover', 'post'],
      ['/keys/{key_id}', 'delete'],
    ] as const) {
      expect(document.paths[path][method].security).toEqual([{ bearerAuth: [] }]);
    }
    const permissions =
      document.paths['/keys/create'].post.requestBody.content['application/json'].schema.properties
        .permissions;
    expect(permissions).toMatchObject({ minItems: 1, maxItems: 4, uniqueItems: true });
    expect(document.paths['/wallet/balance'].get['x-required-permission']).toBe('read');
    expect(document.paths['/wallet/transactions'].get['x-required-permission']).toBe('read');
    expect(document.paths['/wallet/transfer'].post['x-required-permission']).toBe('transfer');
    expect(document.paths['/wallet/deposit'].post['x-required-permission']).toBe('deposit');
    expect(document.paths['/wallet/deposit/{reference}/status'].get['x-required-permission']).toBe('read');
    expect(document.paths['/wallet/withdrawals'].post['x-required-permission']).toBe('withdraw');
    expect(document.paths['/wallet/withdrawals/{reference}'].get['x-required-permission']).toBe('read');
    expect(document.paths['/wallet/bank-accounts'].get['x-required-permission']).toEqual([
      'read',
      'withdraw',
    ]);
    expect(document.paths['/wallet/bank-accounts'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(document.paths['/wallet/bank-accounts/{id}'].delete.security).toEqual([{ bearerAuth: [] }]);
  });
});
