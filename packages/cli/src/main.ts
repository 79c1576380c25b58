import { configCheck, CONFIG_CHECK_HELP } from './commands/config-check.js';
import { start, START_HELP } from './commands/start.js';
import { board, BOARD_HELP, ingest, INGEST_HELP, worker, WORKER_HELP } from './commands/role-command.js';
import { pause, PAUSE_HELP, resume, RESUME_HELP } from './commands/pause.js';
import { ping, PING_HELP } from './commands/ping.js';
import { receiver, RECEIVER_HELP } from './commands/receiver.js';
import { reload, RELOAD_HELP } from './commands/reload.js';
import { replay, REPLAY_HELP } from './commands/replay.js';
import { status, STATUS_HELP } from './commands/status.js';
import { trace, TRACE_HELP } from './commands/trace.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { UsageError, type CommandIo } from './io.js';
import { VERSION } from './version.js';

export const HELP = `Usage: herald <command> [options]

Herald delivers container-registry notifications (push, pull, mount, delete)
to webhook endpoints, durably, through Redis.

Commands:
  start           run Herald on this machine: ingest, worker and board in one process
  ingest          run the HTTP gateway registries POST events to
  worker          deliver events to the endpoints (run any number)
  board           serve Bull Board over Herald's queues
  status          show each endpoint's pending, failed and delivered counts
  trace           show where one event is, for every endpoint, with its attempts
  replay          re-drive failed deliveries
  pause           stop deliveries to an endpoint, fleet-wide, until resume
  reload          make every running process re-read its config (SIGHUP does one)
  resume          resume deliveries to a paused endpoint
  ping            send one test event straight to an endpoint
  receiver        run an example webhook endpoint that logs what it gets
  config check    check a config file and print what it configures

Options:
  -h, --help      show help; "herald <command> --help" for a command
  -v, --version   print the version

Configuration: --config FILE (YAML or JSON, or a registry config.yml), or
HERALD_CONFIG; HERALD_* and REDIS_URL variables override the file.
Docs: docs/configuration.md
`;

type Command = { run: (args: string[], io: CommandIo) => number | Promise<number>; help: string };

const COMMANDS: Record<string, Command> = {
  start: { run: start, help: START_HELP },
  worker: { run: worker, help: WORKER_HELP },
  ingest: { run: ingest, help: INGEST_HELP },
  board: { run: board, help: BOARD_HELP },
  receiver: { run: receiver, help: RECEIVER_HELP },
  status: { run: status, help: STATUS_HELP },
  trace: { run: trace, help: TRACE_HELP },
  replay: { run: replay, help: REPLAY_HELP },
  pause: { run: pause, help: PAUSE_HELP },
  reload: { run: reload, help: RELOAD_HELP },
  resume: { run: resume, help: RESUME_HELP },
  ping: { run: ping, help: PING_HELP },
  'config check': { run: configCheck, help: CONFIG_CHECK_HELP },
};

function findCommand(args: string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const command = COMMANDS[args.slice(0, words).join(' ')];
    if (command !== undefined) return { command, rest: args.slice(words) };
  }
  return undefined;
}

/** Runs the herald command line; resolves to the exit code. */
export async function main(args: string[], io: CommandIo): Promise<number> {
  const [first] = args;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.stdout.write(HELP);
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === '-v' || first === '--version') {
    io.stdout.write(`herald ${VERSION}\n`);
    return EXIT_OK;
  }
  const found = findCommand(args);
  try {
    if (found === undefined) {
      const hint = first === 'config' ? ': "herald config" takes "check"' : '';
      throw new UsageError(`unknown command "${args.join(' ')}"${hint}`);
    }
    return await found.command.run(found.rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`herald: ${error.message}\nRun "herald --help" for usage.\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`herald: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
}
