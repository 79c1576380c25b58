import { Redis } from 'ioredis';

/** Calls and Redis CPU time of one command (from INFO commandstats). */
export interface CommandStat {
  calls: number;
  usec: number;
}

/** What Redis reports at one moment: commands executed since the last reset, its CPU time, its memory. */
export interface RedisSnapshot {
  commands: Record<string, CommandStat>;
  /** used_cpu_user + used_cpu_sys, in ms. */
  cpuMs: number;
  /** used_memory, in bytes. */
  usedMemory: number;
}

/** Where the Redis work of a measured interval went. */
export interface RedisCost {
  /** Commands Redis executed, those run inside BullMQ's Lua scripts included (the probe's own INFO and CONFIG excluded). */
  calls: number;
  /** Script invocations (EVALSHA, EVAL, FCALL): about one client round trip each. */
  scriptCalls: number;
  /** Time Redis spent inside scripts, in µs (commandstats; includes the commands they ran). */
  scriptUsec: number;
  /** Redis process CPU over the interval, in ms (INFO cpu: commands, networking, background work). */
  cpuMs: number;
  /** Every command that ran, most calls first, with its calls and usec. */
  commands: { command: string; calls: number; usec: number }[];
}

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

const SCRIPT_COMMANDS = new Set(['evalsha', 'eval', 'evalsha_ro', 'eval_ro', 'fcall', 'fcall_ro']);
/** The probe's own commands, left out of every cost. */
const PROBE_COMMANDS = new Set(['info', 'config|resetstat']);

/**
 * RedisProbe reads a private Redis's own accounting (INFO commandstats, cpu, memory)
 * around a measured interval. It assumes the benchmark is the only user of that Redis.
 */
export class RedisProbe {
  readonly redis: Redis;

  constructor(url: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 3 });
  }

  async version(): Promise<string> {
    return parseInfo(await this.redis.info('server')).get('redis_version') ?? 'unknown';
  }

  /** Zeroes commandstats (CONFIG RESETSTAT) so the next snapshot counts from now. */
  async resetCommandStats(): Promise<void> {
    await this.redis.config('RESETSTAT');
  }

  async snapshot(): Promise<RedisSnapshot> {
    const [commandstats, cpu, memory] = await Promise.all([this.redis.info('commandstats'), this.redis.info('cpu'), this.redis.info('memory')]);
    const commands: Record<string, CommandStat> = {};
    for (const [key, value] of parseInfo(commandstats)) {
      if (!key.startsWith('cmdstat_')) continue;
      const stat = Object.fromEntries(value.split(',').map((pair) => pair.split('=') as [string, string]));
      commands[key.slice('cmdstat_'.length)] = { calls: Number(stat['calls']), usec: Number(stat['usec']) };
    }
    const cpuFields = parseInfo(cpu);
    return {
      commands,
      cpuMs: (Number(cpuFields.get('used_cpu_user')) + Number(cpuFields.get('used_cpu_sys'))) * 1000,
      usedMemory: Number(parseInfo(memory).get('used_memory')),
    };
  }

  /** The Redis cost between two snapshots; `before` must follow a resetCommandStats(). */
  static cost(before: RedisSnapshot, after: RedisSnapshot): RedisCost {
    const commands: RedisCost['commands'] = [];
    for (const [command, stat] of Object.entries(after.commands)) {
      if (PROBE_COMMANDS.has(command)) continue;
      const was = before.commands[command] ?? { calls: 0, usec: 0 };
      if (stat.calls > was.calls) commands.push({ command, calls: stat.calls - was.calls, usec: stat.usec - was.usec });
    }
    commands.sort((a, b) => b.calls - a.calls);
    const scripts = commands.filter((entry) => SCRIPT_COMMANDS.has(entry.command));
    return {
      calls: commands.reduce((sum, entry) => sum + entry.calls, 0),
      scriptCalls: scripts.reduce((sum, entry) => sum + entry.calls, 0),
      scriptUsec: scripts.reduce((sum, entry) => sum + entry.usec, 0),
      cpuMs: after.cpuMs - before.cpuMs,
      commands,
    };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

