// Module customization hooks (node:module `register`), run on the loader thread. Registered before
// tsx's, they come after them in the chain, so they see every module tsx loads, TypeScript included.
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
