import { readFileSync } from 'node:fs';

/** The version of the installed @herald/worker package, sent in `User-Agent: herald/<version>`. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
