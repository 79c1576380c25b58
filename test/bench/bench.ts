/**
 * Herald's benchmark (`npm run bench`, `npm run bench -- --quick`, `-- --profile`).
 * Starts private redis-servers (no persistence, then appendfsync everysec) and a
 * loopback webhook receiver in its own process, measures the producer, ingest, the
 * end-to-end pipeline against a hand-written BullMQ + got baseline, Redis's cost per
 * event, and the raw HTTP and Redis limits; prints a table and writes every figure to
 * test/bench/results.json (results-quick.json with --quick). Method: docs/performance.md.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { benchPlan } from './bench-plan.js';
import { measureOn, type Measurements } from './bench-run.js';
import { BENCH_EVENT_BYTES } from './bench-event.js';
import { round } from './measured.js';
import { profileProducer, profileTable, profileWorkers } from './profile-run.js';
import { ReceiverProcess } from './receiver-process.js';
import { machine, ratios, table, targets } from './report.js';

const plan = benchPlan(process.argv.slice(2));
const startedAt = new Date();
const log = (line: string) => console.log(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)}s] ${line}`);
const { out, sections, ...rest } = plan;
const settings = { ...rest, sections: [...sections] };

const receiver = await ReceiverProcess.start();
try {
  if (plan.profile) {
    const { redisVersion, profiles } = await profileWorkers(plan, receiver, log);
    const producer = await profileProducer(plan, log);
    console.log(`\n${profileTable(profiles, producer)}\n\nwrote ${out}; the .cpuprofile files are in test/bench/profiles/`);
    writeFileSync(out, `${JSON.stringify({ benchmark: 'herald profile', mode: plan.mode, startedAt, machine: machine(redisVersion), settings, workers: profiles, producer }, null, 2)}\n`);
  } else {
    const m: Measurements = { producer: {}, ingest: {}, throughput: [], latency: [], memory: undefined, http: undefined, redis: {} };
    const env = machine('');
    env.redis = await measureOn('none', plan, receiver, m, log);
    if (plan.sections.has('everysec')) await measureOn('everysec', plan, receiver, m, log);
    const checks = targets(m);
    const finishedAt = new Date();
    const results = {
      benchmark: 'herald',
      mode: plan.mode,
      note:
        plan.mode === 'quick'
          ? 'quick mode proves the benchmark works; its figures are not to be judged'
          : 'medians of repeated runs on one machine; Herald and the baseline alternate, same Redis, same receiver',
      startedAt,
      finishedAt,
      durationS: round((finishedAt.getTime() - startedAt.getTime()) / 1000),
      machine: { ...env, loadAverageAtEnd: os.loadavg().map(round) },
      settings: { ...settings, eventBytes: BENCH_EVENT_BYTES },
      ...m,
      ratios: ratios(m),
      targets: checks,
    };
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\n${table(plan, m, checks)}\n\nwrote ${out} (${results.durationS} s)`);
  }
} finally {
  await receiver.stop();
}
