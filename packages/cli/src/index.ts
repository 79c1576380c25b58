export { main, HELP } from './main.js';
export type { CommandIo } from './io.js';
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
