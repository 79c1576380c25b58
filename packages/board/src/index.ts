export { registerBoard } from './board.js';
export type { Board } from './board.js';
export type { BoardOptions } from './board-options.js';
