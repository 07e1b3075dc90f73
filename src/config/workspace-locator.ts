/** Finding the workspace the way git finds a repository. */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MloopError } from '../errors/index.js';
import { CONFIG_FILE } from './config.js';

/** True when `dir` is an mloop workspace (holds `mloop.json`). */
export function isWorkspace(dir: string): boolean {
  const file = join(dir, CONFIG_FILE);
  return existsSync(file) && statSync(file).isFile();
}

/**
 * Finds the workspace: the explicit folder if given (`--workspace` or `MLOOP_WORKSPACE`),
 * otherwise the nearest folder from `cwd` upwards that holds `mloop.json`.
 * Throws NOT_FOUND with a hint to run `mloop init` when there is none.
 */
export function locateWorkspace(options: { explicit?: string | undefined; cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env;
  const explicit = options.explicit ?? (env['MLOOP_WORKSPACE'] || undefined);
  if (explicit !== undefined) {
    const dir = resolve(options.cwd ?? process.cwd(), explicit);
    if (!isWorkspace(dir)) {
      throw MloopError.notFound('workspace', dir, { hint: `run 'mloop init ${explicit}' to create it` });
    }
    return dir;
  }
  let dir = resolve(options.cwd ?? process.cwd());
  for (;;) {
    if (isWorkspace(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new MloopError('NOT_FOUND', `no mloop workspace in ${resolve(options.cwd ?? process.cwd())} or any parent folder`, {
    hint: "run 'mloop init <dir>' to create one, or pass --workspace <dir>",
  });
}
