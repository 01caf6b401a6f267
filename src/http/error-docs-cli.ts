import { writeFileSync } from 'node:fs';
import { errorsMarkdown } from './error-docs.ts';

/** `npm run docs:errors`: rewrites docs/ERRORS.md from the error catalogue. */
const target = new URL('../../docs/ERRORS.md', import.meta.url);
writeFileSync(target, errorsMarkdown());
console.log(`wrote ${target.pathname}`);
