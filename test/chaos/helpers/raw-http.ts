import { connect } from 'node:net';

/** What a raw request got back. */
export interface RawAnswer {
  /** Status of the response's status line; undefined when none came. */
  readonly status: number | undefined;
  /** The response as received (at most the first 64 KiB), latin1-decoded. */
  readonly text: string;
  /** The connection closed (or errored) before any status line. */
  readonly noAnswer: boolean;
  /** No answer within the time allowed; the socket was destroyed. */
  readonly timedOut: boolean;
  /** A socket error, e.g. ECONNRESET when the server reset the connection. */
  readonly error: string | undefined;
  readonly ms: number;
}

/**
 * How the client ends its side after writing the bytes: `half-close` sends FIN and
 * reads the answer; `keep-open` only reads; `destroy` closes the connection at once
 * (no answer can come).
 */
export type RawEnding = 'half-close' | 'keep-open' | 'destroy';

/** The bytes of an HTTP/1.1 request. `contentLength: 'omit'` sends no Content-Length; a number may lie about the body. */
export function httpRequest(options: {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  contentLength?: number | 'omit';
}): Buffer {
  const body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : (options.body ?? Buffer.alloc(0));
  const lines = [`${options.method ?? 'POST'} ${options.path ?? '/events'} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  const length = options.contentLength ?? body.length;
  if (length !== 'omit') lines.push(`Content-Length: ${length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

const MAX_KEPT = 64 * 1024;

/**
 * Sends raw bytes to 127.0.0.1:port over a fresh TCP connection and reads what comes
 * back until the server closes, the whole response (by its Content-Length) arrived, or
 * `timeoutMs` passed. Never rejects.
 */
export function rawRequest(port: number, bytes: Buffer, ending: RawEnding, timeoutMs = 10_000): Promise<RawAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let settled = false;
    let error: string | undefined;
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match === null ? undefined : Number(match[1]), text, noAnswer: match === null, timedOut, error, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      if (kept < MAX_KEPT) {
        chunks.push(chunk);
        kept += chunk.length;
      }
      // A complete response with a body length: no need to wait for the close.
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, head));
      if (head >= 0 && length !== null && text.length - head - 4 >= Number(length[1])) finish(false);
    });
    socket.on('error', (e: Error & { code?: string }) => {
      error = e.code ?? e.message;
      finish(false);
    });
    socket.on('end', () => finish(false));
    socket.on('close', () => finish(false));
    // The bytes go in slices, and stop once an answer starts: a server that answers early
    // (413 by Content-Length, 401 before the body) and closes must not turn into EPIPE here.
    const SLICE = 64 * 1024;
    const writeFrom = (offset: number): void => {
      if (settled || socket.destroyed) return;
      if (offset >= bytes.length || kept > 0) {
        if (ending === 'half-close') socket.end();
        if (ending === 'destroy') finish(false);
        return;
      }
      socket.write(bytes.subarray(offset, offset + SLICE), (writeError) => {
        if (writeError === undefined || writeError === null) setImmediate(() => writeFrom(offset + SLICE));
      });
    };
    // A large body waits a moment after the head, as a careful client does: a server that
    // refuses by the head alone (413 by Content-Length, 401) answers before any body is sent.
    const head = bytes.indexOf('\r\n\r\n');
    socket.on('connect', () => {
      if (head < 0 || bytes.length - head - 4 <= SLICE) {
        writeFrom(0);
        return;
      }
      socket.write(bytes.subarray(0, head + 4), () => setTimeout(() => writeFrom(head + 4), 50));
    });
  });
}
