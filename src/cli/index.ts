/** CLI: the `mloop` command; thin commands over the concepts' services. */
export { main } from './program.js';
export type { CliIO } from './context.js';
