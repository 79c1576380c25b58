import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  formatTraceparent,
  parseTraceparent,
  withWriteContext,
  EnvelopeValidationError,
  EVENTS_MEDIA_TYPE_V1,
  EVENTS_MEDIA_TYPE_V2,
  parseEnvelope,
  SinkClosedError,
  type Sink,
} from '@herald/events';
import { envelopeJobId, ProducerUnavailableError } from '@herald/producer';
import { BodyEncodingError, parseJsonBody } from './json-body.js';

/** Told the status of every request to POST /events, and how many events it carried when accepted (metrics). */
export interface IngestListener {
  onRequest(status: number, events: number): void;
}

/** Options of registerIngest. */
export interface IngestOptions {
  /** Where accepted envelopes go: the producer, whose write resolves once Redis holds them. */
  sink: Sink;
  /** Bearer token registries must send; empty accepts any request (unless `tokens` has some). Secret. @defaultValue '' */
  token?: string;
  /**
   * More bearer tokens, by name, each accepted as well as `token`: one per registry, or the
   * old and the new while rotating. The name of the token a request used is kept with its
   * deliveries as their source (`ingest token NAME`, shown by `herald trace`). Secret. @defaultValue {}
   */
  tokens?: Readonly<Record<string, string>>;
  /** Largest body accepted, in bytes; larger gets 413. @defaultValue 1048576 */
  maxBodyBytes?: number;
  /** Seconds a registry is told to wait after a 503 (`Retry-After`). @defaultValue 5 */
  retryAfterS?: number;
  /** Told of every request's outcome. @defaultValue none */
  listener?: IngestListener;
}

/** Body of every error answer: a code to branch on, a message for people, and the problems of a 400. */
interface ErrorBody {
  error: string;
  message: string;
  problems?: readonly { path: string; reason: string }[];
}

const ACCEPTED_TYPES = [EVENTS_MEDIA_TYPE_V1, EVENTS_MEDIA_TYPE_V2, 'application/json'];

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A token ingest accepts: its name (undefined for `token`) and its digest. */
interface Accepted {
  readonly name: string | undefined;
  readonly digest: Buffer;
}

/**
 * Checks `Authorization: Bearer <token>` against every accepted token in constant time
 * (each compared, whichever matches); returns the token matched, or what is wrong.
 */
function authenticate(header: string | undefined, accepted: readonly Accepted[]): { token: Accepted } | { problem: string } {
  if (header === undefined) return { problem: 'missing Authorization: Bearer <token>' };
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (match === null) return { problem: 'Authorization must be "Bearer <token>"' };
  const given = digest(match[1]!);
  let found: Accepted | undefined;
  for (const token of accepted) if (timingSafeEqual(given, token.digest) && found === undefined) found = token;
  return found === undefined ? { problem: 'wrong bearer token' } : { token: found };
}

function fail(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply.code(status).type('application/json').send(body);
}

/** Maps the errors fastify raises before our handler (content type, size, body) to clear answers. */
function errorAnswer(error: { code?: string; statusCode?: number; message: string }, maxBodyBytes: number): [number, ErrorBody] {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return [415, { error: 'unsupported_media_type', message: `Content-Type must be one of ${ACCEPTED_TYPES.join(', ')}` }];
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return [400, { error: 'bad_request', message: 'body length does not match Content-Length' }];
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return [413, { error: 'payload_too_large', message: `body is larger than ingest.maxBodyBytes (${maxBodyBytes} bytes)` }];
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return [400, { error: 'invalid_envelope', message: 'body is empty', problems: [{ path: '$', reason: 'must be a JSON envelope' }] }];
    default:
      if (error instanceof BodyEncodingError) return [400, { error: 'invalid_envelope', message: error.message, problems: [{ path: '$', reason: error.message }] }];
      if (error.statusCode !== undefined && error.statusCode < 500) return [error.statusCode, { error: 'bad_request', message: error.message }];
      return [500, { error: 'internal', message: 'internal error' }];
  }
}

/**
 * Registers `POST /events`, the URL a registry's `notifications.endpoints` points at.
 * It checks the token, the content type and the size, validates the envelope and
 * answers 202 only once Redis holds it; it leaves delivery to the workers. Every
 * error answer is JSON, says what is wrong, and nothing is enqueued.
 */
export async function registerIngest(app: FastifyInstance, options: IngestOptions): Promise<void> {
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const accepted: Accepted[] = [
    ...(options.token ? [{ name: undefined, digest: digest(options.token) }] : []),
    ...Object.entries(options.tokens ?? {}).map(([name, value]) => ({ name, digest: digest(value) })),
  ];
  const retryAfter = String(options.retryAfterS ?? 5);
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(ACCEPTED_TYPES, { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as Buffer));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    scope.setErrorHandler((error, request, reply) => {
      const [status, body] = errorAnswer(error as { code?: string; statusCode?: number; message: string }, maxBodyBytes);
      if (status >= 500) request.log.error({ err: error }, 'ingest failed');
      else request.log.warn({ status, error: body.error }, 'envelope refused');
      return fail(reply, status, body);
    });
    if (options.listener !== undefined) {
      const listener = options.listener;
      scope.addHook('onResponse', async (request, reply) => {
        listener.onRequest(reply.statusCode, (request as FastifyRequest & { acceptedEvents?: number }).acceptedEvents ?? 0);
      });
    }
    if (accepted.length > 0) {
      scope.addHook('onRequest', async (request, reply) => {
        const outcome = authenticate(request.headers.authorization, accepted);
        if ('token' in outcome) {
          if (outcome.token.name !== undefined) (request as FastifyRequest & { tokenName?: string }).tokenName = outcome.token.name;
          return undefined;
        }
        request.log.warn({ status: 401 }, 'envelope refused: bad or missing token');
        reply.header('WWW-Authenticate', 'Bearer realm="herald"');
        return fail(reply, 401, { error: 'unauthorized', message: outcome.problem });
      });
    }
    // Registries send JSON as is; a compressed body would otherwise fail as "not valid UTF-8".
    scope.addHook('preParsing', async (request, reply) => {
      const encoding = request.headers['content-encoding']?.trim().toLowerCase();
      if (encoding === undefined || encoding === '' || encoding === 'identity') return undefined;
      request.log.warn({ status: 415, contentEncoding: encoding.slice(0, 40) }, 'envelope refused: compressed body');
      return fail(reply, 415, { error: 'unsupported_media_type', message: 'Content-Encoding is not supported: send the body uncompressed (identity)' });
    });
    scope.post('/events', async (request, reply) => {
      let events;
      try {
        events = parseEnvelope(request.body).events;
      } catch (error) {
        if (!(error instanceof EnvelopeValidationError)) throw error;
        request.log.warn({ status: 400, problems: error.problems.length, field: error.field }, 'envelope refused: invalid');
        return fail(reply, 400, { error: 'invalid_envelope', message: error.message, problems: error.problems });
      }
      try {
        // The registry's W3C trace context, when it sent a valid one, goes on to every delivery.
        const traceparent = formatTraceparent(parseTraceparent(request.headers.traceparent));
        // The named token the registry used, kept with the deliveries as their source.
        const tokenName = (request as FastifyRequest & { tokenName?: string }).tokenName;
        const source = tokenName === undefined ? undefined : `ingest token ${tokenName}`;
        await withWriteContext({ traceparent, source }, () => options.sink.write(...events));
      } catch (error) {
        if (error instanceof ProducerUnavailableError || error instanceof SinkClosedError) {
          request.log.warn({ err: error, status: 503 }, 'envelope not accepted: redis unavailable');
          reply.header('Retry-After', retryAfter);
          return fail(reply, 503, { error: 'unavailable', message: 'Herald cannot store events right now; retry later' });
        }
        throw error;
      }
      const id = envelopeJobId(events);
      (request as FastifyRequest & { acceptedEvents?: number }).acceptedEvents = events.length;
      request.log.debug({ envelopeId: id, eventIds: events.map((event) => event.id) }, 'envelope accepted');
      return reply.code(202).send({ accepted: events.length, id });
    });
  });
}
