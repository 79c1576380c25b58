/** Exit codes of every `herald` command. */
export const EXIT_OK = 0;
/** Runtime failure: Redis unreachable, a port taken, a crash. */
export const EXIT_FAILURE = 1;
/** Usage or configuration error: fix the command line or the config file. */
export const EXIT_USAGE = 2;
