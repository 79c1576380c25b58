import { Counter, type Registry } from 'prom-client';
import type { IngestListener } from './ingest-routes.js';

/** IngestMetrics counts requests to POST /events by status, and the events accepted, for Prometheus. */
export class IngestMetrics implements IngestListener {
  readonly #requests: Counter<'code'>;
  readonly #events: Counter;

  constructor(registry: Registry) {
    this.#requests = new Counter({ name: 'herald_ingest_requests_total', help: 'Requests to POST /events by status code.', labelNames: ['code'], registers: [registry] });
    this.#events = new Counter({ name: 'herald_ingest_events_total', help: 'Events accepted by ingest.', registers: [registry] });
  }

  onRequest(status: number, events: number): void {
    this.#requests.inc({ code: String(status) });
    if (events > 0) this.#events.inc(events);
  }
}
