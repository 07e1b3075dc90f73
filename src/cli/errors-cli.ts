/** Prints errors as `error[CODE]: message` plus a hint, and maps codes to exit codes. */
import { EXIT_CODE, toMloopError } from '../errors/index.js';
import type { CliIO } from './context.js';

function causeChain(err: unknown): string {
  const lines: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 10; depth++) {
    const e = cur as Error;
    lines.push(depth === 0 ? (e.stack ?? String(e)) : `caused by: ${e.stack ?? String(e)}`);
    cur = (cur as { cause?: unknown }).cause;
  }
  return lines.join('\n');
}

/** Reports `err` and returns the exit code. Stack traces only with `verbose`. */
export function reportError(io: CliIO, err: unknown, options: { json: boolean; verbose: boolean }): number {
  const e = toMloopError(err);
  io.stderr.write(`error[${e.code}]: ${e.message}\n`);
  const issues = (e.details?.['issues'] as Array<{ path: string; message: string }> | undefined) ?? [];
  if (issues.length > 1) for (const i of issues) io.stderr.write(`  - ${i.path}: ${i.message}\n`);
  if (e.hint) io.stderr.write(`hint: ${e.hint}\n`);
  if (e.code === 'INTERNAL' && !options.verbose) io.stderr.write('hint: run again with --verbose for details\n');
  if (options.verbose) io.stderr.write(`${causeChain(e)}\n`);
  if (options.json) {
    const body: Record<string, unknown> = { code: e.code, message: e.message };
    if (e.details !== undefined) body['details'] = e.details;
    io.stdout.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
  }
  return EXIT_CODE[e.code];
}
