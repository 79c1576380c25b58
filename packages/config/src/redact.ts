/** What Herald prints in place of a secret. */
export const REDACTED = '[redacted]';

/**
 * A URL safe to print: credentials, query and fragment removed
 * (`https://user:pw@hooks.example/x?token=1` -> `https://hooks.example/x`).
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    return REDACTED;
  }
}
