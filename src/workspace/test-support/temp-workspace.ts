/** Test support: a fresh workspace in a temporary folder, with its admin token. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initWorkspace, openWorkspace, type Workspace } from '../index.js';

export interface TempWorkspace {
  ws: Workspace;
  dir: string;
  adminToken: string;
  cleanup(): Promise<void>;
}

/** Creates and opens a workspace on SQLite (or `databaseUrl`), isolated from the caller's MLOOP_* env. */
export async function tempWorkspace(options: { databaseUrl?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TempWorkspace> {
  const parent = mkdtempSync(join(tmpdir(), 'mloop-ws-'));
  const dir = join(parent, 'ws');
  const env = options.env ?? {};
  const init = await initWorkspace(dir, { env, ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}) });
  const ws = await openWorkspace({ workspace: dir, env });
  return {
    ws,
    dir,
    adminToken: init.admin!.token,
    async cleanup() {
      await ws.close();
      rmSync(parent, { recursive: true, force: true });
    },
  };
}
