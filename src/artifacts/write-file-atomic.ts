/** Writing a user-named output file so that a crash leaves either the old file or the whole new one. */
import { closeSync, createWriteStream, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MloopError } from '../errors/index.js';

/**
 * Writes `data` (bytes or a stream) to `output` through a temp file beside it: write, fsync,
 * rename. INVALID_ARGUMENT when the folder does not exist; the temp file never stays behind.
 */
export async function writeFileAtomic(output: string, data: Uint8Array | Readable): Promise<void> {
  const temp = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
  try {
    if (data instanceof Uint8Array) writeFileSync(temp, data, { flag: 'wx' });
    else await pipeline(data, createWriteStream(temp, { flags: 'wx' }));
    const fd = openSync(temp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, output);
  } catch (err) {
    rmSync(temp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw MloopError.invalidArgument(`cannot write ${output}: its folder does not exist`);
    throw err;
  }
}
