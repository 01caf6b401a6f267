import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The direction of imports inside src/, read from the source text. Every rule is a row of RULES;
// a module path is relative to src/ with forward slashes, e.g. `routes/auth.ts`.

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** `static`: `import … from` / `export … from` / `import '…'`; `dynamic`: `import('…')` with a literal. */
type ImportKind = 'static' | 'dynamic';

interface ImportEdge {
  from: string;
  to: string;
  kind: ImportKind;
}

interface ImportRule {
  /** The rule as a reader states it; also the failure message. */
  rule: string;
  /** The importing modules the rule constrains. */
  from: (module: string) => boolean;
  /** The modules they may not import. */
  to: (module: string) => boolean;
  /** The kinds of import the rule forbids. */
  kinds: readonly ImportKind[];
}

const COMPOSITION_ROOT = new Set(['app.ts', 'server.ts']);
const isDev = (module: string) => module.startsWith('dev/');
/** The domain: what the service does, knowing nothing of HTTP. */
const DOMAIN = [
  'auth/',
  'db/',
  'deposits/',
  'withdrawals/',
  'refunds/',
  'inbound/',
  'reconciler/',
  'notifications/',
  // ops/cli.ts is an entry point, like server.ts: it wires the service's pieces together.
  'ops/operations.ts',
  'ops/table.ts',
  'ledger/',
  'paystack/',
  'idempotency/',
  'observability/',
  'errors.ts',
];
/** The HTTP edge, which the domain never reaches into. */
const HTTP_EDGE = ['http/', 'routes/'];
const within = (areas: readonly string[]) => (module: string) =>
  areas.some((area) => module === area || module.startsWith(area));

const RULES: readonly ImportRule[] = [
  {
    rule: 'only the composition root (src/app.ts, src/server.ts) reaches the stand-ins in src/dev/',
    from: (module) => !isDev(module) && !COMPOSITION_ROOT.has(module),
    to: isDev,
    kinds: ['static', 'dynamic'],
  },
  {
    rule: 'the composition root loads src/dev/ only with import(), when the stand-ins are used',
    from: (module) => COMPOSITION_ROOT.has(module),
    to: isDev,
    kinds: ['static'],
  },
  {
    rule: 'the domain (auth, db, deposits, withdrawals, refunds, inbound, reconciler, notifications, ops, ledger, paystack, idempotency, observability, errors) never imports http/ or routes/',
    from: within(DOMAIN),
    to: within(HTTP_EDGE),
    kinds: ['static', 'dynamic'],
  },
];

const STATIC_IMPORT =
  /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceModules(directory = SRC): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceModules(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path).split('\\').join('/')] : [];
  });
}

/** The relative specifiers `text` imports, statically or with `import()`; packages are left out. */
function importsOf(text: string): { specifier: string; kind: ImportKind }[] {
  const found = [
    ...[...text.matchAll(STATIC_IMPORT)].map((match) => ({
      specifier: (match[1] ?? match[2]) as string,
      kind: 'static' as const,
    })),
    ...[...text.matchAll(DYNAMIC_IMPORT)].map((match) => ({
      specifier: match[1] as string,
      kind: 'dynamic' as const,
    })),
  ];
  return found.filter(({ specifier }) => specifier.startsWith('.'));
}

function importEdges(): ImportEdge[] {
  return sourceModules().flatMap((module) =>
    importsOf(readFileSync(join(SRC, module), 'utf8')).map(({ specifier, kind }) => ({
      from: module,
      to: posix.normalize(posix.join(posix.dirname(module), specifier)),
      kind,
    })),
  );
}

describe('the direction of imports in src/', () => {
  const edges = importEdges();

  it('reads every form of import', () => {
    const text = [
      "import { a } from './one.ts';",
      'import {',
      '  b,',
      '  type C,',
      "} from '../two.ts';",
      "import type { D } from './three.ts';",
      "export { e } from './four.ts';",
      "export * from './five.ts';",
      "import './six.ts';",
      "import Fastify from 'fastify';",
      "import { randomUUID } from 'node:crypto';",
      "const label = 'not an import from here';",
      "const { f } = await import('./seven.ts');",
    ].join('\n');
    expect(importsOf(text)).toEqual([
      { specifier: './one.ts', kind: 'static' },
      { specifier: '../two.ts', kind: 'static' },
      { specifier: './three.ts', kind: 'static' },
      { specifier: './four.ts', kind: 'static' },
      { specifier: './five.ts', kind: 'static' },
      { specifier: './six.ts', kind: 'static' },
      { specifier: './seven.ts', kind: 'dynamic' },
    ]);
  });

  it('finds the modules of src/ and their imports', () => {
    expect(edges).toContainEqual({ from: 'server.ts', to: 'app.ts', kind: 'dynamic' });
    expect(edges).toContainEqual({ from: 'app.ts', to: 'dev/dev-sign-in.ts', kind: 'dynamic' });
    expect(edges).toContainEqual({ from: 'app.ts', to: 'dev/paystack/mount.ts', kind: 'dynamic' });
    expect(edges).toContainEqual({ from: 'routes/wallet.ts', to: 'ledger/transfer.ts', kind: 'static' });
    expect(edges).toContainEqual({ from: 'deposits/start.ts', to: 'idempotency/store.ts', kind: 'static' });
  });

  it.each(RULES.map((rule) => [rule.rule, rule] as const))('%s', (_name, rule) => {
    const broken = edges
      .filter((edge) => rule.kinds.includes(edge.kind) && rule.from(edge.from) && rule.to(edge.to))
      .map((edge) => `src/${edge.from} imports src/${edge.to} (${edge.kind})`);
    expect(broken, rule.rule).toEqual([]);
  });
});
