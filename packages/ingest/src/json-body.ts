/** The body is not UTF-8, or not JSON. */
export class BodyEncodingError extends Error {
  override readonly name = 'BodyEncodingError';
  readonly statusCode = 400;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a request body as strict UTF-8 JSON: invalid byte sequences are refused
 * instead of being replaced, so what is stored is exactly what the registry sent.
 */
export function parseJsonBody(body: Buffer): unknown {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    throw new BodyEncodingError('body is not valid UTF-8');
  }
  if (text.trim() === '') throw new BodyEncodingError('body is empty');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BodyEncodingError(`body is not valid JSON: ${(error as Error).message}`);
  }
}
