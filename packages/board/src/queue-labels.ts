import { redactUrl, type EndpointConfig } from '@herald/config';

/** How the board names a queue for a person: a short name and one line of what it holds. */
export interface QueueLabel {
  readonly displayName: string;
  readonly description: string;
}

/** The ingress queue: empty unless envelopes arrived before any worker published routes. */
export const INGRESS_LABEL: QueueLabel = {
  displayName: 'fan-out (ingress)',
  description: 'Envelopes accepted before any worker had published the endpoints (or left by Herald 0.1); a worker fans each out to the endpoint queues. Usually empty.',
};

/**
 * An endpoint's queue: named as the endpoint, described by where it delivers (URL without
 * credentials, query or fragment) and what sets it apart from the defaults.
 */
export function endpointLabel(endpoint: EndpointConfig): QueueLabel {
  const traits = [
    endpoint.disabled ? 'disabled: nothing is delivered' : undefined,
    endpoint.ordered ? 'ordered' : undefined,
    endpoint.maxBatch > 1 ? `up to ${endpoint.maxBatch} deliveries per request` : undefined,
    endpoint.ignore.actions.length > 0 ? `ignores ${endpoint.ignore.actions.join(', ')}` : undefined,
    endpoint.ignore.mediaTypes.length > 0 ? `ignores ${endpoint.ignore.mediaTypes.length} media type${endpoint.ignore.mediaTypes.length === 1 ? '' : 's'}` : undefined,
  ].filter((trait): trait is string => trait !== undefined);
  return { displayName: endpoint.name, description: [`POST ${redactUrl(endpoint.url)}`, ...traits].join(' · ') };
}
