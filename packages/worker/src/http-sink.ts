import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { performance } from 'node:perf_hooks';
import { ConfigError, ipBytes, type EgressConfig, type EndpointConfig } from '@herald/config';
import { carriedTraceparent, envelopeOf, SinkClosedError, type Event, type Sink } from '@herald/events';
import got, { type Headers, type HttpsOptions, type Request as GotRequest, type Response as GotResponse } from 'got';
import type { Logger } from 'pino';
import { egressLookup, systemResolve, type Resolve } from './egress-lookup.js';
import { EgressPolicy, type EgressRefusedError } from './egress-policy.js';
import { noopDeliveryListener, type DeliveryListener } from './delivery-listener.js';
import { EndpointRequestError, EndpointResponseError, requestFailureReason } from './endpoint-errors.js';
import { signPayload, WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER, webhookIdOf } from './signature.js';
import { httpsOptionsFor } from './tls-options.js';

/** Options of HttpSink. */
export interface HttpSinkOptions {
  /** `User-Agent` of every request, e.g. `herald/0.1.0`; a `User-Agent` in the endpoint's headers wins. */
  userAgent: string;
  /** Told the outcome and duration of every attempt (metrics). @defaultValue noopDeliveryListener */
  listener?: DeliveryListener | undefined;
  /** Where to log one debug line per attempt: endpoint name, webhook id, status, duration; never the URL, headers or body. @defaultValue no logging */
  logger?: Logger | undefined;
  /** Most response-body bytes read (and discarded) before the connection is dropped, in bytes. @defaultValue 65536 */
  maxResponseBytes?: number | undefined;
  /** Wall clock for `webhook-timestamp`, in ms since the epoch. Durations use a monotonic clock. @defaultValue Date.now */
  now?: (() => number) | undefined;
  /** Where deliveries may connect (`egress.*`); the endpoint's own `egress.allow` is added. Link-local and metadata addresses are refused even when unset. @defaultValue no deny, no allow */
  egress?: EgressConfig | undefined;
  /** Resolves the URL's host name to addresses, once per connection. @defaultValue the system resolver, as `dns.lookup` */
  resolve?: Resolve | undefined;
}

type ResolvedOptions = Required<Omit<HttpSinkOptions, 'logger' | 'egress'>> & Pick<HttpSinkOptions, 'logger'>;

function withDefaults(options: HttpSinkOptions): ResolvedOptions {
  return {
    userAgent: options.userAgent,
    listener: options.listener ?? noopDeliveryListener,
    logger: options.logger,
    maxResponseBytes: options.maxResponseBytes ?? 65_536,
    now: options.now ?? Date.now,
    resolve: options.resolve ?? systemResolve,
  };
}

/** Sockets in the pool per endpoint when `endpoint.concurrency` is unset. */
const DEFAULT_MAX_SOCKETS = 10;
/** An idle keep-alive socket is closed after this many ms, before common server idle timeouts (Node's 5s) close it under us. */
const IDLE_SOCKET_TIMEOUT_MS = 4000;
/** Headers Herald computes; the endpoint's configured headers cannot override them. */
const OWN_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding', WEBHOOK_ID_HEADER, WEBHOOK_TIMESTAMP_HEADER, WEBHOOK_SIGNATURE_HEADER]);

/** The endpoint's configured headers, names lowercased, values of names differing only in case merged. */
function configuredHeaders(headers: EndpointConfig['headers']): Record<string, string[]> {
  const merged: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!OWN_HEADERS.has(lower)) merged[lower] = [...(merged[lower] ?? []), ...values];
  }
  return merged;
}

/** The endpoint's URL, parsed; the error names the endpoint, never the URL (it may hold credentials). */
function endpointUrl(endpoint: EndpointConfig): URL {
  const url = URL.canParse(endpoint.url) ? new URL(endpoint.url) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new ConfigError([{ key: 'url', reason: `must be an http or https URL for endpoint "${endpoint.name}"` }]);
  }
  return url;
}

/** The outcome of one attempt, as the listener and the log see it. */
type Outcome = { status: number; error?: EndpointResponseError } | { error: EndpointRequestError };

/**
 * HttpSink makes one POST attempt of an envelope to one endpoint per write, signed
 * with Standard Webhooks headers, and resolves on a 2xx status line; any other status
 * or a missing response rejects. Reliability (retries, backoff, ordering) is the caller's.
 *
 * The body is `JSON.stringify({ events })`. The response body is never buffered: at
 * most `maxResponseBytes` are read and discarded, then the connection is dropped.
 * Redirects are not followed. Connections are kept alive in one pool per sink.
 *
 * Every connection goes to an address the egress policy permits: the host name is
 * resolved once and the socket connects to the address checked (egress-lookup.ts); an IP
 * in the URL is checked as written. A refused attempt fails with an EndpointRequestError
 * of reason `egress`, whose `refusal` is the EgressRefusedError naming the rule.
 */
export class HttpSink implements Sink {
  readonly #endpoint: EndpointConfig;
  readonly #options: ResolvedOptions;
  readonly #log: Logger | undefined;
  readonly #url: URL;
  readonly #agent: HttpAgent | HttpsAgent;
  readonly #https: HttpsOptions | undefined;
  readonly #headers: Record<string, string[]>;
  readonly #lookup: ReturnType<typeof egressLookup>;
  /** Set when the URL's host is an IP the policy refuses: sockets skip the lookup for an IP. */
  readonly #refusedAddress: EgressRefusedError | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #responses = new Set<GotRequest>();
  #closing: Promise<void> | undefined;

  constructor(endpoint: EndpointConfig, options: HttpSinkOptions) {
    this.#endpoint = endpoint;
    this.#options = withDefaults(options);
    this.#log = this.#options.logger?.child({ component: 'http-sink', endpoint: endpoint.name });
    this.#url = endpointUrl(endpoint);
    const secure = this.#url.protocol === 'https:';
    this.#https = secure ? httpsOptionsFor(endpoint.tls, endpoint.name) : undefined;
    const agentOptions = { keepAlive: true, maxSockets: endpoint.concurrency ?? DEFAULT_MAX_SOCKETS, timeout: IDLE_SOCKET_TIMEOUT_MS };
    this.#agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.#headers = configuredHeaders(endpoint.headers);
    const policy = new EgressPolicy(options.egress ?? { deny: [], allow: [] }, endpoint.egressAllow ?? []);
    this.#lookup = egressLookup(policy, this.#options.resolve);
    const host = this.#url.hostname;
    this.#refusedAddress = ipBytes(host) === undefined ? undefined : policy.refusal(host, host.replace(/^\[|\]$/g, ''));
    // URL userinfo becomes Basic auth, unless an Authorization header is configured (as in Go's client).
    if (this.#headers['authorization'] !== undefined) {
      this.#url.username = '';
      this.#url.password = '';
    }
  }

  async write(...events: Event[]): Promise<void> {
    if (this.#closing !== undefined) throw new SinkClosedError(`http sink of endpoint "${this.#endpoint.name}"`);
    if (events.length === 0) return;
    const attempt = this.#attempt(events);
    this.#inFlight.add(attempt);
    try {
      await attempt;
    } finally {
      this.#inFlight.delete(attempt);
    }
  }

  /** Waits for attempts in flight, then drops response bodies still draining and every pooled socket. */
  async close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inFlight]);
      for (const response of this.#responses) response.destroy();
      this.#agent.destroy();
    })();
    return this.#closing;
  }

  async #attempt(events: readonly Event[]): Promise<void> {
    const body = JSON.stringify(envelopeOf(events));
    const webhookId = webhookIdOf(this.#endpoint.name, events.map((event) => event.id));
    const started = performance.now();
    const outcome = await this.#post(body, webhookId);
    const durationMs = performance.now() - started;
    this.#report(events, webhookId, outcome, durationMs);
    // How long the attempt took, for the delivery's attempt log.
    if (outcome.error !== undefined) throw Object.assign(outcome.error, { durationMs: Math.round(durationMs) });
  }

  #requestHeaders(body: string, webhookId: string): Headers {
    const headers: Headers = { 'user-agent': this.#options.userAgent, ...this.#headers };
    headers['content-type'] = this.#endpoint.mediaType;
    headers[WEBHOOK_ID_HEADER] = webhookId;
    // The trace context of the delivery attempt (DeliveryWorker), carried to the receiver.
    const traceparent = carriedTraceparent();
    if (traceparent !== undefined) headers['traceparent'] = traceparent;
    if (this.#endpoint.secrets.length > 0) {
      const timestamp = Math.floor(this.#options.now() / 1000);
      headers[WEBHOOK_TIMESTAMP_HEADER] = String(timestamp);
      headers[WEBHOOK_SIGNATURE_HEADER] = signPayload(this.#endpoint.secrets, webhookId, timestamp, body);
    }
    return headers;
  }

  /** Sends one request; settles at the status line or the first error, never rejects. */
  #post(body: string, webhookId: string): Promise<Outcome> {
    const name = this.#endpoint.name;
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const fail = (error: Error & { cause?: unknown }) => {
        if (settled) return;
        settled = true;
        // got's error holds the request options (URL, headers); keep only the network error.
        const cause = error.cause instanceof Error ? error.cause : error;
        resolve({ error: new EndpointRequestError(name, requestFailureReason(error), { cause }) });
      };
      if (this.#refusedAddress !== undefined) {
        fail(this.#refusedAddress);
        return;
      }
      let request: GotRequest;
      try {
        request = got.stream(this.#url, {
          method: 'POST',
          body,
          headers: this.#requestHeaders(body, webhookId),
          agent: this.#agent instanceof HttpsAgent ? { https: this.#agent } : { http: this.#agent },
          ...(this.#https === undefined ? {} : { https: this.#https }),
          dnsLookup: this.#lookup,
          timeout: { request: this.#endpoint.timeoutMs },
          followRedirect: false,
          retry: { limit: 0 },
          throwHttpErrors: false,
          decompress: false,
        });
      } catch (error) {
        fail(error as Error);
        return;
      }
      request.on('error', (error: Error) => {
        this.#responses.delete(request);
        fail(error);
      });
      request.on('response', (response: GotResponse) => {
        settled = true;
        this.#drain(request);
        const status = response.statusCode;
        if (status >= 200 && status < 300) {
          resolve({ status });
          return;
        }
        const headers = { 'retry-after': response.headers['retry-after'], location: response.headers.location };
        resolve({ status, error: EndpointResponseError.fromResponse(name, status, headers, this.#options.now()) });
      });
    });
  }

  /** Reads the response body into nothing, and drops the connection once it exceeds maxResponseBytes. */
  #drain(request: GotRequest): void {
    this.#responses.add(request);
    let received = 0;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > this.#options.maxResponseBytes) request.destroy();
    });
    request.once('end', () => this.#responses.delete(request));
    request.once('close', () => this.#responses.delete(request));
  }

  #report(events: readonly Event[], webhookId: string, outcome: Outcome, durationMs: number): void {
    const listener = this.#options.listener;
    const name = this.#endpoint.name;
    const fields = { webhookId, events: events.length, durationMs: Math.round(durationMs) };
    try {
      if ('status' in outcome && outcome.error === undefined) {
        this.#log?.debug({ ...fields, status: outcome.status }, 'delivered');
        listener.onSuccess(name, events, outcome.status, durationMs);
      } else if ('status' in outcome) {
        this.#log?.debug({ ...fields, status: outcome.status, retryAfterMs: outcome.error?.retryAfterMs }, 'endpoint refused delivery');
        listener.onFailure(name, events, outcome.status, durationMs);
      } else {
        this.#log?.debug({ ...fields, err: outcome.error, reason: outcome.error.reason }, 'delivery attempt got no response');
        listener.onError(name, events, outcome.error, durationMs);
      }
    } catch (error) {
      this.#log?.warn({ err: error }, 'delivery listener threw');
    }
  }
}
