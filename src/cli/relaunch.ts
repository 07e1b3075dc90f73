/**
 * Running this CLI again in a child process with extra Node flags: `mloop server` does it to start
 * with V8 settings that Node reads only at start-up (setting `server.semiSpaceMb`).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** Set in the child's environment: it was started by {@link relaunch} and watches its parent. */
export const RELAUNCHED_ENV = 'MLOOP_RELAUNCHED';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `node <nodeFlags> <this process's Node flags> <this script> <its arguments>` with the same
 * environment (plus {@link RELAUNCHED_ENV}), stdout and stderr, and resolves with its exit code
 * (128 + the signal's number when a signal ended it). The child runs in a process group of its
 * own, so a terminal's Ctrl-C reaches it once, passed on by this process, as every SIGINT, SIGTERM
 * and SIGHUP sent here is; if this process dies without passing anything on, the child sees its
 * IPC channel close ({@link watchParent}).
 *
 * @example
 * process.exitCode = await relaunch(['--max-semi-space-size=64']);
 */
export function relaunch(nodeFlags: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [...nodeFlags, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RELAUNCHED_ENV]: '1' },
    detached: true,
  });
  const handlers = FORWARDED.map((signal) => {
    const pass = (): void => void child.kill(signal);
    process.on(signal, pass);
    return [signal, pass] as const;
  });
  return new Promise((resolve, reject) => {
    const done = (): void => {
      for (const [signal, pass] of handlers) process.off(signal, pass);
    };
    child.once('error', (err) => {
      done();
      reject(err);
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
    });
  });
}

/**
 * In a child started by {@link relaunch}: sends this process `signal` when the parent's IPC channel
 * closes (the parent died), so that the child shuts down as it would on that signal instead of
 * living on alone. Does nothing in any other process.
 */
export function watchParent(signal: NodeJS.Signals = 'SIGTERM'): void {
  if (process.env[RELAUNCHED_ENV] !== '1' || !process.connected) return;
  process.once('disconnect', () => process.kill(process.pid, signal));
  // The channel must not keep the process alive once the server has stopped.
  process.channel?.unref();
}

/** True when `--max-semi-space-size` is already set for this process (its flags or NODE_OPTIONS). */
export function semiSpaceGiven(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const given = (a: string): boolean => a.startsWith('--max-semi-space-size') || a.startsWith('--max_semi_space_size');
  return execArgv.some(given) || (nodeOptions ?? '').split(/\s+/).some(given);
}
