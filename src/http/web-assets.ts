import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The web wallet's source folder: `web/` beside `src/` (and beside `dist/` after a build). */
const WEB_ROOT = join(import.meta.dirname, '..', '..', 'web');

/** Where the page's module files and the libraries it imports are served. */
export const WEB_PREFIX = '/web';

/**
 * The packages the page imports by bare name, each served from its installed ES module file at a
 * fixed URL: the service rewrites the bare names in the files it serves (the page's own and these),
 * so the browser needs no import map, which would be an inline script the CSP forbids.
 */
const VENDOR_MODULES: Readonly<Record<string, string>> = {
  preact: `${WEB_PREFIX}/vendor/preact.js`,
  'preact/hooks': `${WEB_PREFIX}/vendor/preact-hooks.js`,
  htm: `${WEB_PREFIX}/vendor/htm.js`,
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** A bound on what is read at start: the folder holds a few dozen small files. */
const MAX_FILES = 100;
const MAX_DEPTH = 3;

export interface WebAsset {
  body: Buffer;
  contentType: string;
}

const BARE_IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)(["'])([^"'./][^"']*)\2/g;

/**
 * `source` with every bare import of a vendor package replaced by its URL. Throws for a bare
 * import of anything else: the page may use only what the service serves.
 */
function rewriteBareImports(source: string, file: string): string {
  return source.replace(BARE_IMPORT, (whole, keyword: string, quote: string, name: string) => {
    const url = VENDOR_MODULES[name];
    if (url === undefined) {
      // A vendor file's minified text may match by accident; the page's own files may not.
      if (file.startsWith('vendor:')) return whole;
      throw new Error(`${file} imports "${name}", which the web wallet does not serve`);
    }
    return `${keyword}${quote}${url}${quote}`;
  });
}

async function listFiles(directory: string, depth: number): Promise<string[]> {
  if (depth > MAX_DEPTH) return [];
  const entries = await readdir(directory, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) return listFiles(path, depth + 1);
      return CONTENT_TYPES[extname(entry.name)] === undefined ? [] : [path];
    }),
  );
  return nested.flat();
}

/**
 * Every file of the web wallet, read once at start and kept in memory, by the URL path it is
 * served at: `/` for `web/index.html`, `/web/<path>` for the rest of `web/`, and
 * `/web/vendor/<name>.js` for the packages in `VENDOR_MODULES`. JavaScript is served as written
 * (there is no build step), with bare package imports rewritten to those URLs. Throws when the
 * folder is missing or holds more than `MAX_FILES` files, or a file imports an unserved package.
 */
export async function loadWebAssets(root: string = WEB_ROOT): Promise<Map<string, WebAsset>> {
  const files = await listFiles(root, 0);
  if (files.length > MAX_FILES) throw new Error(`web/ holds ${files.length} files, over ${MAX_FILES}`);
  const assets = new Map<string, WebAsset>();
  for (const path of files) {
    const name = relative(root, path).split(sep).join('/');
    const contentType = CONTENT_TYPES[extname(path)] as string;
    let body = await readFile(path);
    if (extname(path) === '.js') body = Buffer.from(rewriteBareImports(body.toString('utf8'), name));
    assets.set(name === 'index.html' ? '/' : `${WEB_PREFIX}/${name}`, { body, contentType });
  }
  for (const [name, url] of Object.entries(VENDOR_MODULES)) {
    const source = await readFile(fileURLToPath(import.meta.resolve(name)), 'utf8');
    assets.set(url, {
      body: Buffer.from(rewriteBareImports(source, `vendor:${name}`)),
      contentType: CONTENT_TYPES['.js'] as string,
    });
  }
  return assets;
}
