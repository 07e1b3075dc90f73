/** The `mloop` command line: global flags, commands, and error handling with exit codes. */
import { Command, CommanderError } from 'commander';
import { MloopError } from '../errors/index.js';
import { MLOOP_VERSION } from '../workspace/index.js';
import { registerAudit } from './commands/audit.js';
import { registerData } from './commands/data.js';
import { registerDemo } from './commands/demo.js';
import { registerDeploy } from './commands/deploy.js';
import { registerFairness } from './commands/fairness.js';
import { registerInit } from './commands/init.js';
import { registerJobs } from './commands/jobs.js';
import { registerLabel } from './commands/label.js';
import { registerLabelIssues } from './commands/label-issues.js';
import { registerModels } from './commands/models.js';
import { registerMonitor } from './commands/monitor.js';
import { registerPredict } from './commands/predict.js';
import { registerRetraining } from './commands/retraining.js';
import { registerReview } from './commands/review.js';
import { registerSchedules } from './commands/schedules.js';
import { registerServer } from './commands/server.js';
import { registerStatus } from './commands/status.js';
import { registerToken } from './commands/token.js';
import { registerTrain } from './commands/train.js';
import { registerUser } from './commands/user.js';
import { registerWorker } from './commands/worker.js';
import { CommandContext, type CliIO, type GlobalFlags } from './context.js';
import { reportError } from './errors-cli.js';

/** Wraps a command body: builds its context from the global flags; errors propagate to `main`. */
export type Runner = <A extends unknown[]>(
  body: (ctx: CommandContext, ...args: A) => Promise<void>,
) => (...args: unknown[]) => Promise<void>;

function buildProgram(io: CliIO, onContext: (ctx: CommandContext) => void): Command {
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

  registerInit(program, run);
  registerStatus(program, run);
  registerServer(program, run);
  registerDemo(program, run);
  registerToken(program, run);
  registerUser(program, run);
  registerAudit(program, run);
  registerData(program, run);
  registerLabelIssues(program, run);
  registerLabel(program, run);
  registerModels(program, run);
  registerTrain(program, run);
  registerFairness(program, run);
  registerMonitor(program, run);
  registerDeploy(program, run);
  registerReview(program, run);
  registerPredict(program, run);
  registerJobs(program, run);
  registerSchedules(program, run);
  registerWorker(program, run);
  registerRetraining(program, run);
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
  const program = buildProgram(io, (c) => (ctx = c));
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
