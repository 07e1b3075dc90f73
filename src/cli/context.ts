/** What every command gets: output mode, streams, and helpers to print results and progress. */
import cliProgress from 'cli-progress';
import type { DatasetWorkspace, Workspace } from '../workspace/index.js';

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Runs this CLI again in a child process with extra Node flags and resolves with its exit code
   * (relaunch.ts). Only the real command line (bin.ts) offers it; a CLI run inside another
   * process (tests) never starts one.
   */
  relaunch?(nodeFlags: readonly string[]): Promise<number>;
}

/** Global flags every command understands. */
export interface GlobalFlags {
  json: boolean;
  verbose: boolean;
  workspace?: string;
}

export interface Progress {
  /** Moves the bar to `done` of `total`, with an optional label. */
  update(done: number, label?: string): void;
  stop(): void;
}

/** Output and progress for one command run. */
export class CommandContext {
  /** Exit code when the command ran but its check failed (1), set by the command. */
  exitCode = 0;

  constructor(
    readonly io: CliIO,
    readonly flags: GlobalFlags,
  ) {}

  /**
   * Prints the command's result: exactly one JSON document on stdout with `--json`,
   * otherwise the human rendering.
   */
  emit<T>(result: T, human: (r: T) => string): void {
    if (this.flags.json) this.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const text = human(result);
      if (text !== '') this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** Opens the workspace named by the flags (or found from cwd), runs `fn`, and closes it. */
  async withWorkspace<T>(fn: (ws: Workspace) => Promise<T>): Promise<T> {
    // Loaded on use, so that `--help` and commands that need less do not load every service.
    const { openWorkspace } = await import('../workspace/index.js');
    const ws = await openWorkspace({ workspace: this.flags.workspace, cwd: this.io.cwd, env: this.io.env });
    try {
      return await fn(ws);
    } finally {
      await ws.close();
    }
  }

  /** Like `withWorkspace`, with only the dataset service: the other services are not loaded. */
  async withDatasets<T>(fn: (ws: DatasetWorkspace) => Promise<T>): Promise<T> {
    const { openDatasetWorkspace } = await import('../workspace/index.js');
    const ws = await openDatasetWorkspace({ workspace: this.flags.workspace, cwd: this.io.cwd, env: this.io.env });
    try {
      return await fn(ws);
    } finally {
      await ws.close();
    }
  }

  /** A line of narration on stderr in human mode (silent with --json). */
  note(line: string): void {
    if (!this.flags.json) this.io.stderr.write(`${line}\n`);
  }

  /** A progress bar on stderr when it is a terminal and output is human; otherwise a no-op. */
  progress(total: number, label: string): Progress {
    if (this.flags.json || !this.io.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
    const bar = new cliProgress.SingleBar(
      { format: `{label} [{bar}] {percentage}% | {value}/{total}`, stream: this.io.stderr as NodeJS.WriteStream, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { label });
    return {
      update: (done, l) => bar.update(done, l === undefined ? {} : { label: l }),
      stop: () => bar.stop(),
    };
  }
}

/** A progress bar per stage: `onProgress` starts a new bar whenever the stage changes. */
export function stagedProgress(ctx: CommandContext): { onProgress: (p: { stage: string; done: number; total: number }) => void; stop: () => void } {
  let bar: Progress | undefined;
  let stage = '';
  return {
    onProgress: (p) => {
      if (p.stage !== stage) {
        bar?.stop();
        stage = p.stage;
        bar = ctx.progress(Math.max(1, p.total), p.stage);
      }
      bar?.update(p.done);
    },
    stop: () => bar?.stop(),
  };
}

/** Renders rows as an aligned text table. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
