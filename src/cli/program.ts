/** The `mloop` command line: global flags, commands, and error handling with exit codes. */
import { Command, CommanderError } from 'commander';
import { MloopError } from '../errors/index.js';
import { MLOOP_VERSION } from '../config/index.js';
import { CommandContext, type CliIO, type GlobalFlags } from './context.js';
import { reportError } from './errors-cli.js';

/** Wraps a command body: builds its context from the global flags; errors propagate to `main`. */
export type Runner = <A extends unknown[]>(
  body: (ctx: CommandContext, ...args: A) => Promise<void>,
) => (...args: unknown[]) => Promise<void>;

type Register = (program: Command, run: Runner) => void;

/**
 * The command modules in the order `mloop --help` lists them. A module is loaded only when its
 * command runs: loading every module (and the services they import) took about as much CPU as a
 * small import itself.
 */
export const COMMAND_MODULES: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ['init', async () => (await import('./commands/init.js')).registerInit],
  ['status', async () => (await import('./commands/status.js')).registerStatus],
  ['server', async () => (await import('./commands/server.js')).registerServer],
  ['demo', async () => (await import('./commands/demo.js')).registerDemo],
  ['token', async () => (await import('./commands/token.js')).registerToken],
  ['user', async () => (await import('./commands/user.js')).registerUser],
  ['audit', async () => (await import('./commands/audit.js')).registerAudit],
  ['data', async () => (await import('./commands/data.js')).registerData],
  ['label-issues', async () => (await import('./commands/label-issues.js')).registerLabelIssues],
  ['label', async () => (await import('./commands/label.js')).registerLabel],
  ['models', async () => (await import('./commands/models.js')).registerModels],
  ['train', async () => (await import('./commands/train.js')).registerTrain],
  ['fairness', async () => (await import('./commands/fairness.js')).registerFairness],
  ['monitor', async () => (await import('./commands/monitor.js')).registerMonitor],
  ['deploy', async () => (await import('./commands/deploy.js')).registerDeploy],
  ['review', async () => (await import('./commands/review.js')).registerReview],
  ['predict', async () => (await import('./commands/predict.js')).registerPredict],
  ['jobs', async () => (await import('./commands/jobs.js')).registerJobs],
  ['schedules', async () => (await import('./commands/schedules.js')).registerSchedules],
  ['worker', async () => (await import('./commands/worker.js')).registerWorker],
  ['retraining', async () => (await import('./commands/retraining.js')).registerRetraining],
];

/** The top-level commands and the modules that define them (a test checks this against the modules). */
export const COMMAND_OWNERS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  init: ['init'],
  status: ['status'],
  server: ['server'],
  demo: ['demo'],
  token: ['token'],
  user: ['user'],
  audit: ['audit'],
  data: ['data', 'label-issues'],
  label: ['label'],
  models: ['models', 'retraining'],
  train: ['train'],
  eval: ['train'],
  fairness: ['fairness'],
  monitor: ['monitor'],
  deploy: ['deploy'],
  undeploy: ['deploy'],
  deployments: ['deploy'],
  review: ['review'],
  feedback: ['review'],
  predict: ['predict'],
  jobs: ['jobs'],
  schedules: ['schedules'],
  worker: ['worker'],
  policies: ['retraining'],
  runs: ['retraining'],
  retraining: ['retraining'],
  approvals: ['retraining'],
});

/** Global options that take a value (their value is not the command name). */
const VALUE_OPTIONS = new Set(['--workspace']);

/**
 * The modules `argv` needs: those defining its command, none for `--version`, or every module when
 * there is no known command (`--help`, `help`, a typo that should get a suggestion).
 */
export function modulesFor(argv: readonly string[]): string[] {
  const all = COMMAND_MODULES.map(([name]) => name);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    // `mloop --help data` prints the program's help, which lists every command.
    if (arg === '--' || arg === '-h' || arg === '--help') return all;
    if (arg === '-V' || arg === '--version') return [];
    if (VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    const owners = Object.hasOwn(COMMAND_OWNERS, arg) ? COMMAND_OWNERS[arg] : undefined;
    return owners === undefined ? all : all.filter((m) => owners.includes(m));
  }
  return all;
}

async function buildProgram(io: CliIO, argv: readonly string[], onContext: (ctx: CommandContext) => void): Promise<Command> {
  const program = new Command('mloop')
    .description('mloop: data, labels, training, gates, registry, serving, monitoring and retraining in one tool')
    .version(MLOOP_VERSION, '-V, --version', 'print the version')
    .option('--workspace <dir>', 'workspace folder (default: MLOOP_WORKSPACE, or found from the current folder upwards)')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--verbose', 'show causes and stack traces of errors')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => undefined,
    });

  const run: Runner =
    (body) =>
    async (...args) => {
      const command = args.at(-1) as Command;
      const g = command.optsWithGlobals() as { json?: boolean; verbose?: boolean; workspace?: string };
      const flags: GlobalFlags = { json: g.json === true, verbose: g.verbose === true, ...(g.workspace ? { workspace: g.workspace } : {}) };
      const ctx = new CommandContext(io, flags);
      onContext(ctx);
      await body(ctx, ...(args.slice(0, -1) as never));
    };

  const wanted = new Set(modulesFor(argv));
  const registers = await Promise.all(COMMAND_MODULES.filter(([name]) => wanted.has(name)).map(([, load]) => load()));
  for (const register of registers) register(program, run);
  // Every subcommand reports its own parse errors through the same path.
  const harden = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: () => undefined });
      sub.showSuggestionAfterError(true);
      harden(sub);
    }
  };
  harden(program);
  return program;
}

/**
 * Runs the CLI and returns the process exit code (see docs/errors.md).
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }): Promise<number> {
  let ctx: CommandContext | undefined;
  const program = await buildProgram(io, argv, (c) => (ctx = c));
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx?.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) return err.exitCode === 0 ? 0 : 2;
      const message = err.message.replace(/^error:\s*/i, '');
      return reportError(io, MloopError.invalidArgument(message, { hint: "see 'mloop --help' or 'mloop <command> --help'" }), { json, verbose });
    }
    return reportError(io, err, { json: ctx?.flags.json ?? json, verbose: ctx?.flags.verbose ?? verbose });
  }
}
