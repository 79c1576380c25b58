import { parseArgs } from 'node:util';

/** How much of everything one run measures: `full` is the published run, `quick` proves the benchmark works. */
export interface BenchPlan {
  mode: 'quick' | 'full';
  /** Repetitions of each measurement; the table shows their median. */
  repetitions: number;
  /** `worker.concurrency` of Herald, and the baseline Worker's concurrency. */
  concurrency: number;
  /** Events written by 1 writer, and by 64, per producer measurement. */
  producerEvents: { one: number; many: number };
  /** Envelopes POSTed per ingest measurement. */
  ingestEnvelopes: number;
  /** Deliveries per saturation measurement (events = deliveries ÷ endpoints). */
  saturationDeliveries: number;
  /** Latency measurements: worker processes, offered load (events/s) and Herald's `maxbatch`; each lasts `latencySeconds`. */
  latency: { workers: number; rate: number; maxBatch: number }[];
  latencySeconds: number;
  /** Events queued for a stopped endpoint in the memory measurement. */
  memoryEvents: number;
  /** Redis round trips per raw Redis measurement; got POSTs per raw HTTP measurement. */
  redisCommands: number;
  httpRequests: number;
  /** Sections to run (--only); all by default. */
  sections: ReadonlySet<Section>;
  /** Only profile the workers (--profile). */
  profile: boolean;
  /** Herald's `maxbatch` when profiling (--maxbatch). @defaultValue 1 */
  maxBatch: number;
  /** Endpoints when profiling (--endpoints). @defaultValue 1 */
  profileEndpoints: number;
  /** Where the figures are written. */
  out: string;
}

/** The `maxbatch` of the batching cells (the batching issue's targets are set at 32). */
export const BATCH = 32;

/** The sections of a run, as --only names them. */
export const SECTIONS = ['baselines', 'producer', 'ingest', 'throughput', 'latency', 'memory', 'everysec'] as const;
export type Section = (typeof SECTIONS)[number];

export const USAGE = `Usage: npm run bench -- [--quick] [--profile] [--concurrency N] [--out FILE]

  --quick          every measurement once, small counts (under 2 minutes): proves the
                   benchmark works; never judge speed by it
  --profile        only profile: run Herald's worker and the baseline worker at
                   saturation under node --cpu-prof, summarise self time by function
                   and package, with Redis commandstats (test/bench/profiles/)
  --concurrency N  deliveries in flight per endpoint per worker process (default 10,
                   Herald's worker.concurrency default), the same for the baseline
  --maxbatch N     with --profile: Herald's maxbatch (default 1)
  --endpoints N    with --profile: endpoints every event goes to (default 1)
  --only A,B       run only these sections: baselines, producer, ingest, throughput,
                   latency, memory, everysec (the second Redis); for development
  --out FILE       where to write the figures (default test/bench/results.json, or
                   results-quick.json / profile.json)
`;

/** Reads the command line into a plan; exits with usage on a bad flag. */
export function benchPlan(argv: string[]): BenchPlan {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '10' },
      maxbatch: { type: 'string', default: '1' },
      endpoints: { type: 'string', default: '1' },
      out: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const positive = (flag: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} must be a positive integer, not ${text}`);
    return value;
  };
  const concurrency = positive('--concurrency', values.concurrency);
  const quick = values.quick;
  const sections = new Set((values.only?.split(',') ?? SECTIONS) as Section[]);
  for (const section of sections) if (!SECTIONS.includes(section)) throw new Error(`--only: unknown section "${section}"; sections are ${SECTIONS.join(', ')}`);
  const file = values.profile ? 'profile.json' : quick ? 'results-quick.json' : 'results.json';
  return {
    mode: quick ? 'quick' : 'full',
    repetitions: quick ? 1 : 3,
    concurrency,
    producerEvents: quick ? { one: 1_000, many: 3_000 } : { one: 10_000, many: 30_000 },
    ingestEnvelopes: quick ? 2_000 : 10_000,
    saturationDeliveries: quick ? (values.profile ? 6_000 : 1_500) : values.profile ? 30_000 : 6_000,
    latency: [
      { workers: 1, rate: 1_000, maxBatch: 1 },
      { workers: 1, rate: 1_000, maxBatch: BATCH },
      { workers: 2, rate: 1_000, maxBatch: 1 },
      { workers: 1, rate: 200, maxBatch: 1 },
    ],
    latencySeconds: quick ? 2 : 5,
    memoryEvents: quick ? 3_000 : 100_000,
    redisCommands: quick ? 5_000 : 50_000,
    httpRequests: quick ? 2_000 : 8_000,
    sections,
    profile: values.profile,
    maxBatch: positive('--maxbatch', values.maxbatch),
    profileEndpoints: positive('--endpoints', values.endpoints),
    out: values.out ?? new URL(file, import.meta.url).pathname,
  };
}
