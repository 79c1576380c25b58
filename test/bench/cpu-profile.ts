import { readFileSync } from 'node:fs';

/** The parts of a V8 .cpuprofile (node --cpu-prof) the summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function or one package, in ms and as a share of busy (non-idle) time. */
export interface SelfTime {
  name: string;
  ms: number;
  percent: number;
}

/** Where one process spent its CPU. */
export interface ProfileSummary {
  /** Sampled wall time, ms. */
  totalMs: number;
  /** Time not idle (JavaScript, GC, native), ms. */
  busyMs: number;
  /** Self time by package: bullmq, ioredis, got, Herald's packages, Node internals, GC... */
  byPackage: SelfTime[];
  /** The functions with the most self time. */
  topFunctions: SelfTime[];
}

/** The package a script belongs to, from its URL. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return 'native (program)';
    return `native ${functionName || '(anonymous)'}`;
  }
  const herald = /\/packages\/([^/]+)\/dist\//.exec(url);
  if (herald !== null) return `@herald/${herald[1]}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return `node ${url.slice(5).split('/')[0] === 'internal' ? url.slice(5).split('/').slice(1, 2).join('') : url.slice(5)}`;
  return url.replace(/^file:\/\/.*\/test\//, 'test/');
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const packages = url.indexOf('/packages/');
  if (packages >= 0) return url.slice(packages + 1);
  return url.replace(/^file:\/\/.*\/test\//, 'test/');
}

/** Now on the clock V8 stamps profiles with (CLOCK_MONOTONIC, µs), the same in every process of the machine. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Summarises a .cpuprofile: self time by package and the top functions, idle excluded
 * from the shares. With `window` ([from, to] in monotonicUs()), only the samples taken
 * in it count: the measured interval, without start-up and shutdown.
 */
export function summarizeProfile(file: string, window?: [number, number], top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const [from, to] = window ?? [profile.startTime, profile.endTime];
  const hits = new Map<number, number>();
  let at = profile.startTime;
  let counted = 0;
  profile.samples.forEach((sample, index) => {
    at += profile.timeDeltas[index] ?? 0;
    if (at < from || at > to) return;
    hits.set(sample, (hits.get(sample) ?? 0) + 1);
    counted += 1;
  });
  const totalMs = (Math.min(to, profile.endTime) - Math.max(from, profile.startTime)) / 1000;
  const msPerSample = totalMs / Math.max(1, counted);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let idleMs = 0;
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (count === 0) continue;
    const ms = count * msPerSample;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = packageOf(url, functionName);
    if (pkg === '(idle)') {
      idleMs += ms;
      continue;
    }
    const name = url === '' ? `${functionName} (native)` : `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  const rank = (map: Map<string, number>, limit: number): SelfTime[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), percent: Math.round((ms / busyMs) * 1000) / 10 }));
  return { totalMs: Math.round(totalMs), busyMs: Math.round(busyMs), byPackage: rank(byPackage, 15), topFunctions: rank(byFunction, top) };
}
