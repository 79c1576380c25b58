import { readFileSync } from 'node:fs';
import { typeOf, type Report } from './field-readers.js';

/**
 * Secrets read from files, so that Kubernetes Secrets and Docker secrets mount as files
 * instead of sitting in the environment. A file holds one secret; one trailing newline
 * (as `echo` and editors leave) is dropped. Problems name the key and the file's state,
 * never its content.
 */
export function readSecretFile(path: unknown, key: string, report: Report): string | undefined {
  if (path === undefined) return undefined;
  if (typeof path !== 'string' || path === '') {
    report(key, `must be a file path, not ${typeOf(path)}`);
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    report(key, code === 'ENOENT' ? 'names a file that does not exist' : code === 'EACCES' ? 'names a file this user cannot read' : `names a file that cannot be read (${code ?? 'error'})`);
    return undefined;
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') {
    report(key, 'names an empty file');
    return undefined;
  }
  if (/[\r\n]/.test(secret)) {
    report(key, 'names a file of several lines; it must hold one secret');
    return undefined;
  }
  return secret;
}
