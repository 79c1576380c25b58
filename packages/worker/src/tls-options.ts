import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError, type EndpointConfig } from '@herald/config';
import type { HttpsOptions } from 'got';

/** An endpoint's `tls` settings: PEM file paths and `insecureSkipVerify`. */
export type EndpointTls = EndpointConfig['tls'];

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'unreadable';
}

function readPem(path: string | undefined, key: string, endpoint: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError([{ key, reason: `cannot be read${endpoint} (${codeOf(error)})` }], { cause: error });
  }
}

function checkIdentity(certificate: Buffer, key: Buffer, endpoint: string): void {
  try {
    createSecureContext({ cert: certificate, key });
  } catch (error) {
    // The OpenSSL error names the problem (`key values mismatch`), never the file's content.
    throw new ConfigError([{ key: 'tls.cert', reason: `and tls.key are not a matching PEM certificate and key${endpoint} (${codeOf(error)})` }], { cause: error });
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** Node ignores what is not a certificate in `ca`; a CA file that trusts nothing is a mistake worth stopping for. */
function checkBundle(ca: Buffer, endpoint: string): void {
  const blocks = ca.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new ConfigError([{ key: 'tls.ca', reason: `holds no PEM certificate${endpoint}` }]);
  try {
    for (const block of blocks) new X509Certificate(block);
  } catch (error) {
    throw new ConfigError([{ key: 'tls.ca', reason: `holds a certificate that cannot be parsed${endpoint} (${codeOf(error)})` }], { cause: error });
  }
}

/**
 * Reads an endpoint's PEM files once, synchronously, into got's `https` options, and
 * checks them: an unreadable file, a file that is not PEM, or a key that does not match
 * its certificate throws a ConfigError naming the key (`tls.ca`), never the file's
 * content. `endpoint` (a name) is added to the reason when given.
 */
export function httpsOptionsFor(tls: EndpointTls, endpoint?: string): HttpsOptions {
  const of = endpoint === undefined ? '' : ` for endpoint "${endpoint}"`;
  const ca = readPem(tls.ca, 'tls.ca', of);
  const certificate = readPem(tls.cert, 'tls.cert', of);
  const key = readPem(tls.key, 'tls.key', of);
  if (ca !== undefined) checkBundle(ca, of);
  if (certificate !== undefined && key !== undefined) checkIdentity(certificate, key, of);
  return {
    rejectUnauthorized: !tls.insecureSkipVerify,
    ...(ca === undefined ? {} : { certificateAuthority: ca }),
    ...(certificate === undefined ? {} : { certificate }),
    ...(key === undefined ? {} : { key }),
  };
}
