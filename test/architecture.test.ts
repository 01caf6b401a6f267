import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;

/** The domain: what the service does, knowing nothing of HTTP. */
const DOMAIN = ['auth/', 'db/', 'deposits/', 'ledger/', 'paystack/', 'idempotency/', 'errors.ts'];
/** The HTTP edge, which the domain never reaches into. */
const HTTP = ['http/', 'routes/'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The relative modules a file imports or re-exports statically, as paths under src/. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms),
    ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
  ].map((match) => match[1] as string);
  return specifiers
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => relative(SRC, resolve(dirname(file), specifier)));
}

const within = (path: string, areas: string[]) =>
  areas.some((area) => path === area || path.startsWith(area));

describe('the direction of imports', () => {
  it('finds the imports it checks', () => {
    expect(staticImports(join(SRC, 'routes/wallet.ts'))).toContain('ledger/transfer.ts');
    expect(staticImports(join(SRC, 'deposits/start.ts'))).toContain('idempotency/store.ts');
  });

  it('keeps the domain out of http/ and routes/', () => {
    const offending = sourceFiles(SRC)
      .map((file) => relative(SRC, file))
      .filter((file) => within(file, DOMAIN))
      .flatMap((file) =>
        staticImports(join(SRC, file))
          .filter((target) => within(target, HTTP))
          .map((target) => `${file} imports ${target}`),
      );
    expect(offending).toEqual([]);
  });
});
