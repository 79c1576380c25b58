import { readFileSync } from 'node:fs';

/** Resident set size of a process in KiB, from /proc/<pid>/status (VmRSS); undefined once it has exited. */
export function rssKiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used, in seconds, from /proc/<pid>/stat; undefined once it has exited. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name; in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `intervalMs` until stopped; keeps the first, last and largest. */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  firstKiB: number | undefined;
  lastKiB: number | undefined;
  maxKiB = 0;
  samples = 0;
  readonly #startedAt = Date.now();
  readonly #cpuAtStart: number;
  #cpuAtLast: number;
  #lastAt = Date.now();

  constructor(pid: number, intervalMs = 100) {
    this.#pid = pid;
    this.#cpuAtStart = cpuSeconds(pid) ?? 0;
    this.#cpuAtLast = this.#cpuAtStart;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  #sample(): void {
    const kib = rssKiB(this.#pid);
    if (kib === undefined) return;
    this.firstKiB ??= kib;
    this.lastKiB = kib;
    this.maxKiB = Math.max(this.maxKiB, kib);
    this.samples += 1;
    this.#cpuAtLast = cpuSeconds(this.#pid) ?? this.#cpuAtLast;
    this.#lastAt = Date.now();
  }

  /** Stops sampling; RSS in MiB, and the CPU the process used meanwhile (seconds, and percent of one core). */
  stop(): { firstMiB: number; lastMiB: number; maxMiB: number; samples: number; cpuSeconds: number; cpuPercent: number } {
    clearInterval(this.#timer);
    this.#sample();
    const mib = (kib: number | undefined) => Math.round(((kib ?? 0) / 1024) * 10) / 10;
    const cpu = this.#cpuAtLast - this.#cpuAtStart;
    const wall = Math.max(1, this.#lastAt - this.#startedAt) / 1000;
    return { firstMiB: mib(this.firstKiB), lastMiB: mib(this.lastKiB), maxMiB: mib(this.maxKiB), samples: this.samples, cpuSeconds: Math.round(cpu * 100) / 100, cpuPercent: Math.round((cpu / wall) * 100) };
  }
}
