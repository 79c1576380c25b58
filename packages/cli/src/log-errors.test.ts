import { Writable } from 'node:stream';
import { HeraldError } from '@herald/events';
import { describe, expect, it } from 'vitest';
import { createRootLogger } from './logger.js';

class EndpointDown extends HeraldError {
  override readonly name = 'EndpointDown';
  readonly code = 'HERALD_ERR_TEST';
  readonly refusal: Error;
  constructor(refusal: Error) {
    super('endpoint "hooks" answered 503', { cause: new Error('socket hang up') });
    this.refusal = refusal;
  }
}

class Refusal extends HeraldError {
  override readonly name = 'Refusal';
  readonly code = 'HERALD_ERR_REFUSED';
}

function logged(error: unknown): Record<string, unknown> {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  createRootLogger('info', { destination }).warn({ err: error }, 'attempt failed');
  return (JSON.parse(lines[0]!) as { err: Record<string, unknown> }).err;
}

describe('logged errors', () => {
  it("keeps a Herald error's message, code, fields and cause, without stacks", () => {
    const err = logged(new EndpointDown(new Refusal('egress refused 127.0.0.1')));
    expect(err).toStrictEqual({
      type: 'EndpointDown',
      name: 'EndpointDown',
      message: 'endpoint "hooks" answered 503: socket hang up',
      code: 'HERALD_ERR_TEST',
      refusal: { type: 'Refusal', name: 'Refusal', message: 'egress refused 127.0.0.1', code: 'HERALD_ERR_REFUSED' },
    });
  });

  it('keeps the stack of any other error: that is a bug to report', () => {
    const err = logged(new TypeError('x is undefined'));
    expect(err.type).toBe('TypeError');
    expect(err.stack).toMatch(/^TypeError: x is undefined\n\s+at /);
  });
});
