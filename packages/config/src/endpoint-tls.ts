import { accessSync, constants } from 'node:fs';
import { isRecord, readBoolean, reportUnknownKeys, typeOf, type Report } from './field-readers.js';

/** TLS settings of an https endpoint; files are PEM paths, read by the worker at start-up. */
export interface EndpointTls {
  /** CA bundle to trust instead of the system's (`tls.ca`). */
  readonly ca?: string;
  /** Client certificate for mutual TLS (`tls.cert`); needs `key`. */
  readonly cert?: string;
  /** Client private key for mutual TLS (`tls.key`). Secret (its content; the path is not). */
  readonly key?: string;
  /** Skip server certificate checks (`tls.insecureSkipVerify`); logged as a warning. @defaultValue false */
  readonly insecureSkipVerify: boolean;
}

const TLS_KEYS = ['ca', 'cert', 'key', 'insecureSkipVerify'] as const;

function readFilePath(value: unknown, key: string, report: Report): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    report(key, `must be a file path, not ${typeOf(value)}`);
    return undefined;
  }
  try {
    accessSync(value, constants.R_OK);
  } catch {
    report(key, 'names a file that does not exist or cannot be read');
  }
  return value;
}

/** Reads an endpoint's `tls` map, checking that each named file can be read. */
export function readTls(value: unknown, at: string, report: Report): EndpointTls {
  if (value === undefined) return { insecureSkipVerify: false };
  if (!isRecord(value)) {
    report(at, `must be a map (ca, cert, key, insecureSkipVerify), not ${typeOf(value)}`);
    return { insecureSkipVerify: false };
  }
  reportUnknownKeys(value, TLS_KEYS, at, report);
  const ca = readFilePath(value['ca'], `${at}.ca`, report);
  const cert = readFilePath(value['cert'], `${at}.cert`, report);
  const key = readFilePath(value['key'], `${at}.key`, report);
  if ((cert === undefined) !== (key === undefined)) report(`${at}.${cert === undefined ? 'cert' : 'key'}`, 'is required with tls.cert and tls.key (mutual TLS needs both)');
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    insecureSkipVerify: readBoolean(value['insecureSkipVerify'], `${at}.insecureSkipVerify`, false, report),
  };
}
