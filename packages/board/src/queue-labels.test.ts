import { loadConfig } from '@herald/config';
import { describe, expect, it } from 'vitest';
import { endpointLabel } from './queue-labels.js';

function endpoint(entry: Record<string, unknown>) {
  return loadConfig({ env: { HERALD_ENDPOINTS: JSON.stringify([{ name: 'audit', ...entry }]) } }).endpoints[0]!;
}

describe('how the board names an endpoint queue', () => {
  it('names it as the endpoint and says where it delivers, without credentials, query or fragment', () => {
    expect(endpointLabel(endpoint({ url: 'https://bot:pa55@hooks.example/registry?token=t0k#x' }))).toStrictEqual({
      displayName: 'audit',
      description: 'POST https://hooks.example/registry',
    });
  });

  it('says what sets the endpoint apart from the defaults', () => {
    const label = endpointLabel(
      endpoint({ url: 'http://127.0.0.1:9/', disabled: true, ordered: true, maxbatch: 32, ignore: { actions: ['pull', 'mount'], mediatypes: ['application/octet-stream'] } }),
    );
    expect(label.description).toBe(
      'POST http://127.0.0.1:9/ · disabled: nothing is delivered · ordered · up to 32 deliveries per request · ignores pull, mount · ignores 1 media type',
    );
  });
});
