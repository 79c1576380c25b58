/**
 * The producer measurement in a process of its own, so `--profile` can run it under
 * node --cpu-prof: BENCH_REDIS_URL, BENCH_WRITERS, BENCH_EVENTS; prints
 * `producer: <rate> events/s, window <from> <to>` (the measured interval on the
 * clock of CPU profiles) and exits.
 */
import { producerRate } from './producer-scenario.js';

const url = process.env['BENCH_REDIS_URL'];
if (url === undefined) throw new Error('BENCH_REDIS_URL is not set');
const window: [number, number] = [0, 0];
const rate = await producerRate(url, Number(process.env['BENCH_WRITERS'] ?? '64'), Number(process.env['BENCH_EVENTS'] ?? '20000'), window);
console.log(`producer: ${Math.round(rate)} events/s, window ${window[0]} ${window[1]}`);
