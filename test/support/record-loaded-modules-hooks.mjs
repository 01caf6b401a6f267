// Module customization hooks (node:module `register`), run on the loader thread: they see every
// module the process loads, TypeScript included.
import { appendFileSync } from 'node:fs';

/** @type {string} */
let file;

/** @param {{ file: string }} data */
export function initialize(data) {
  file = data.file;
}

/**
 * @param {string} url
 * @param {unknown} context
 * @param {(url: string, context: unknown) => Promise<unknown>} nextLoad
 */
export async function load(url, context, nextLoad) {
  appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
