// Rewrites the generated reference of docs/configuration.md from the schema: `npm run docs:config`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigReference, replaceReference } from '../src/config-reference.js';

const page = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url));
const before = readFileSync(page, 'utf8');
const after = replaceReference(before, renderConfigReference());
if (after === before) {
  console.log('docs/configuration.md is up to date');
} else {
  writeFileSync(page, after);
  console.log('docs/configuration.md: reference rewritten from the schema');
}
