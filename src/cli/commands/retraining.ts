/** `mloop policies|runs|approvals` and `mloop models rollback`: the retraining pipeline's commands. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { localPrincipal } from '../../auth/index.js';
import { MloopError } from '../../errors/index.js';
import { moveJson } from '../../registry/index.js';
import { approvalJson, decisionJson, policyJson, RUN_STATES, runJson, type Approval, type Decision, type RunState } from '../../retraining/index.js';
import { table } from '../context.js';
import { parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

function readData(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw MloopError.invalidArgument(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const yaml = /\.ya?ml$/i.test(path);
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw MloopError.invalidArgument(`${what} ${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Reads a policy file; a `gate` given as a path (relative to the policy file) is read and stored inline. */
export function readPolicyFile(cwd: string, file: string, model: string): Record<string, unknown> {
  const path = resolve(cwd, file);
  const raw = readData(path, 'policy file');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw MloopError.invalidArgument(`policy file ${file} must hold an object`);
  const policy = { ...(raw as Record<string, unknown>) };
  if (policy['model'] !== undefined && policy['model'] !== model) throw MloopError.invalidArgument(`policy file ${file} is for '${String(policy['model'])}', not '${model}'`);
  policy['model'] = model;
  if (typeof policy['gate'] === 'string') policy['gate'] = readData(resolve(dirname(path), policy['gate']), 'gate file');
  return policy;
}

const APPROVAL_STATES = ['pending', 'approved', 'rejected', 'expired'] as const;

export function registerRetraining(program: Command, run: Runner): void {
  const policies = program.command('policies').description('retraining policies: training data, settings, evaluation data, gate and promotion per model');
  policies
    .command('set')
    .description('set the retraining policy of a model from a JSON or YAML file (its gate file is stored inline)')
    .argument('<model>', 'model name')
    .argument('<file>', 'policy file')
    .action(
      run(async (ctx, model: string, file: string) => {
        const raw = readPolicyFile(ctx.io.cwd, file, model);
        const policy = await ctx.withWorkspace((ws) => ws.retraining.setPolicy(localPrincipal().userName, raw));
        ctx.emit({ policy: policyJson(policy) }, (r) => `policy of ${model} set: train on ${r.policy.training.dataset}, promotion ${r.policy.promotion}`);
      }),
    );
  policies
    .command('show')
    .description("show a model's retraining policy")
    .argument('<model>', 'model name')
    .action(
      run(async (ctx, model: string) => {
        const p = await ctx.withWorkspace((ws) => ws.retraining.getPolicy(model));
        ctx.emit({ policy: policyJson(p.policy), updated_at: p.updatedAt, updated_by: p.updatedBy }, (r) => JSON.stringify(r.policy, null, 2));
      }),
    );
  policies
    .command('remove')
    .description("remove a model's retraining policy with its schedules and drift rule (its runs, decisions and alerts stay)")
    .argument('<model>', 'model name')
    .action(
      run(async (ctx, model: string) => {
        await ctx.withWorkspace((ws) => ws.retraining.removePolicy(localPrincipal().userName, model));
        ctx.emit({ removed: model }, () => `policy of ${model} removed, with its schedules and drift rule`);
      }),
    );
  policies
    .command('list')
    .description('list retraining policies')
    .action(
      run(async (ctx) => {
        const list = await ctx.withWorkspace((ws) => ws.retraining.listPolicies());
        ctx.emit({ policies: list.map((p) => ({ ...policyJson(p.policy), updated_at: p.updatedAt, updated_by: p.updatedBy })) }, (r) =>
          r.policies.length === 0
            ? 'no retraining policies'
            : table(['model', 'training data', 'reviews', 'evaluation', 'triggers', 'promotion', 'updated'], r.policies.map((p) => [p.model, p.training.dataset, p.training.include_review_answers ? 'yes' : 'no', 'dataset' in p.evaluation ? p.evaluation.dataset : `holdout (${p.evaluation.holdout.by})`, Object.entries(p.triggers).filter(([k, v]) => k !== 'cooldown_hours' && v !== null && v !== false).map(([k]) => k).join(',') || '-', p.promotion, p.updated_at])),
        );
      }),
    );

  const runs = program.command('runs').description('retraining runs and their steps');
  runs
    .command('list')
    .description('retraining runs, newest first')
    .option('--model <model>', 'only this model')
    .option('--state <state>', `only runs in this state: ${RUN_STATES.join(', ')}`)
    .option('--limit <n>', 'at most n runs', parseIntOption(1, 1000), 50)
    .action(
      run(async (ctx, opts: { model?: string; state?: string; limit: number }) => {
        if (opts.state !== undefined && !RUN_STATES.includes(opts.state as RunState)) throw MloopError.invalidArgument(`unknown state '${opts.state}'; valid: ${RUN_STATES.join(', ')}`);
        const list = await ctx.withWorkspace((ws) =>
          ws.retraining.listRuns({ ...(opts.model === undefined ? {} : { model: opts.model }), ...(opts.state === undefined ? {} : { states: [opts.state as RunState] }), limit: opts.limit }),
        );
        ctx.emit({ runs: list.map(runJson) }, (r) =>
          r.runs.length === 0 ? 'no retraining runs' : table(['id', 'model', 'state', 'challenger', 'champion', 'created'], r.runs.map((x) => [x.id, x.model, x.state, x.challenger, x.champion, x.created_at])),
        );
      }),
    );
  runs
    .command('show')
    .description('a run with every step and its reason')
    .argument('<id>', 'run id')
    .action(
      run(async (ctx, id: string) => {
        const r = await ctx.withWorkspace((ws) => ws.retraining.getRun(id));
        ctx.emit({ run: runJson(r) }, ({ run: x }) =>
          [`${x.id} ${x.model}: ${x.state} — ${x.reason}`, `challenger ${x.challenger ?? '-'}, champion ${x.champion ?? '-'}`, table(['step', 'status', 'at', 'reason'], x.steps.map((s) => [s.step, s.status, s.at, s.reason]))].join('\n'),
        );
      }),
    );
  runs
    .command('start')
    .description("queue a retrain job for a model (a worker runs it), or run it here with --now")
    .argument('<model>', 'model with a retraining policy')
    .option('--key <key>', 'job key (default: a fresh one); the same key never makes a second run')
    .option('--now', 'run in this process instead of queueing')
    .action(
      run(async (ctx, model: string, opts: { key?: string; now?: boolean }) => {
        const actor = localPrincipal().userName;
        await ctx.withWorkspace(async (ws) => {
          const { job, created } = await ws.jobs.enqueue(actor, { type: 'retrain', payload: { model }, ...(opts.key === undefined ? {} : { key: opts.key }) });
          if (opts.now !== true) {
            if (created) {
              ctx.emit({ created, job: { id: job.id, key: job.key, state: job.state }, run: null }, () => `queued retrain job ${job.id} (key ${job.key})`);
              return;
            }
            // The key was used before: nothing new is queued; say what that key already led to.
            const existing = (await ws.retraining.listRuns({ limit: 1000 })).find((r) => r.runKey === job.key) ?? null;
            ctx.emit(
              { created, job: { id: job.id, key: job.key, state: job.state }, run: existing === null ? null : { id: existing.id, state: existing.state, reason: existing.reason } },
              () =>
                `retrain job ${job.id} (key ${job.key}) exists already, nothing queued: job ${job.state}` +
                (existing === null ? ', no run yet' : `, run ${existing.id} ${existing.state} — ${existing.reason}`),
            );
            return;
          }
          const r = await ws.retraining.run({ key: job.key, model, actor });
          ctx.emit({ run: runJson(r) }, ({ run: x }) => `${x.id}: ${x.state} — ${x.reason}`);
          if (r.state === 'gate_failed') ctx.exitCode = 1;
        });
      }),
    );

  runs
    .command('advance')
    .description('move waiting runs on now (the monitoring run does it too): a shadow period that has its requests, a watch period that crossed a limit (rollback) or ended, expired approvals')
    .option('--model <model>', 'only this model')
    .action(
      run(async (ctx, opts: { model?: string }) => {
        const list = await ctx.withWorkspace((ws) => ws.retraining.advance(localPrincipal().userName, opts.model === undefined ? {} : { model: opts.model }));
        ctx.emit({ runs: list.map(runJson) }, (r) => (r.runs.length === 0 ? 'no run moved on' : r.runs.map((x) => `${x.id} ${x.model}: ${x.state} — ${x.reason}`).join('\n')));
      }),
    );

  // `mloop retraining check|decisions`: the triggers and every decision they led to.
  const retraining = program.command('retraining').description("the lifecycle loop: check a model's retraining triggers and list the decisions, each with its reasons");
  const decisionLine = (d: ReturnType<typeof decisionJson>) => `${d.id} ${d.model} ${d.at} (${d.source}): ${d.retrain ? 'RETRAIN' : 'no'} — ${d.reason}${d.job_id ? ` [job ${d.job_id}]` : ''}`;
  const showDecision = (d: ReturnType<typeof decisionJson>) =>
    [decisionLine(d), table(['trigger', 'on', 'fired', 'reason'], d.triggers.map((t) => [t.trigger, t.enabled ? 'yes' : 'no', t.fired ? 'yes' : 'no', t.reason]))].join('\n');
  retraining
    .command('check')
    .description("evaluate a model's triggers now and record the decision (a retrain queues a retrain job; --source schedule makes the schedule trigger fire)")
    .argument('<model>', 'model with a retraining policy')
    .option('--source <source>', 'manual (default), monitoring or schedule', 'manual')
    .option('--key <key>', 'natural key: the same key returns the recorded decision')
    .action(
      run(async (ctx, model: string, opts: { source: string; key?: string }) => {
        if (!['manual', 'monitoring', 'schedule'].includes(opts.source)) throw MloopError.invalidArgument(`unknown source '${opts.source}'; valid: manual, monitoring, schedule`);
        const d = await ctx.withWorkspace((ws) => ws.retraining.check(localPrincipal().userName, { model, source: opts.source as Decision['source'], ...(opts.key === undefined ? {} : { key: opts.key }) }));
        ctx.emit({ decision: decisionJson(d) }, (r) => showDecision(r.decision));
      }),
    );
  retraining
    .command('decisions')
    .description('every check of the triggers, newest first: retrain or not, and why')
    .option('--model <model>', 'only this model')
    .option('--retrain', 'only decisions that retrained')
    .option('--limit <n>', 'at most n decisions', parseIntOption(1, 1000), 50)
    .action(
      run(async (ctx, opts: { model?: string; retrain?: boolean; limit: number }) => {
        const list = await ctx.withWorkspace((ws) => ws.retraining.listDecisions({ ...(opts.model === undefined ? {} : { model: opts.model }), ...(opts.retrain ? { retrain: true } : {}), limit: opts.limit }));
        ctx.emit({ decisions: list.map(decisionJson) }, (r) => (r.decisions.length === 0 ? 'no decisions yet' : r.decisions.map(decisionLine).join('\n')));
      }),
    );
  retraining
    .command('decision')
    .description('one decision with every trigger, its verdict and its numbers')
    .argument('<id>', 'decision id or key')
    .action(
      run(async (ctx, id: string) => {
        const d = await ctx.withWorkspace((ws) => ws.retraining.getDecision(id));
        ctx.emit({ decision: decisionJson(d) }, (r) => showDecision(r.decision));
      }),
    );

  const approvals = program.command('approvals').description('challengers waiting for a person: approve promotes, reject records');
  approvals
    .command('list')
    .description('approvals, newest first (pending ones past their expiry are marked expired)')
    .option('--status <status>', `only this status: ${APPROVAL_STATES.join(', ')}`)
    .action(
      run(async (ctx, opts: { status?: string }) => {
        if (opts.status !== undefined && !APPROVAL_STATES.includes(opts.status as Approval['status'])) throw MloopError.invalidArgument(`unknown status '${opts.status}'; valid: ${APPROVAL_STATES.join(', ')}`);
        const list = await ctx.withWorkspace((ws) => ws.retraining.listApprovals(opts.status === undefined ? {} : { status: opts.status as Approval['status'] }));
        ctx.emit({ approvals: list.map(approvalJson) }, (r) =>
          r.approvals.length === 0 ? 'no approvals' : table(['id', 'model', 'version', 'status', 'expires', 'run'], r.approvals.map((a) => [a.id, a.model, a.version, a.status, a.expires_at, a.run_id])),
        );
      }),
    );
  for (const [verb, what] of [
    ['approve', 'promote the challenger to champion'],
    ['reject', 'keep the champion; the decision is recorded'],
  ] as const) {
    approvals
      .command(verb)
      .description(`${what} (refused once the approval expired)`)
      .argument('<id>', 'approval id')
      .requiredOption('--comment <text>', 'why (recorded with your name)')
      .action(
        run(async (ctx, id: string, opts: { comment: string }) => {
          const actor = localPrincipal().userName;
          if (verb === 'approve') {
            const r = await ctx.withWorkspace((ws) => ws.retraining.approve(actor, id, opts.comment));
            ctx.emit({ approval: approvalJson(r.approval), move: moveJson(r.move) }, (x) => `approved ${x.approval.id}: ${x.move.model}@champion → ${x.move.to_version}`);
          } else {
            const a = await ctx.withWorkspace((ws) => ws.retraining.reject(actor, id, opts.comment));
            ctx.emit({ approval: approvalJson(a) }, (x) => `rejected ${x.approval.id}: ${x.approval.model}@${x.approval.version} stays out`);
          }
        }),
      );
  }

  // `models rollback` joins the registry's `models` command (registered before this one).
  const models = program.commands.find((c) => c.name() === 'models') ?? program.command('models');
  models
    .command('rollback')
    .description('move an alias back to the version it pointed at before its latest move; recorded in the history')
    .argument('<ref>', 'model@alias, such as support@champion')
    .requiredOption('--reason <text>', 'why (recorded in the alias history)')
    .action(
      run(async (ctx, ref: string, opts: { reason: string }) => {
        const move = await ctx.withWorkspace((ws) => ws.retraining.rollback(localPrincipal().userName, ref, opts.reason));
        ctx.emit(moveJson(move), (m) => `${m.model}@${m.alias}: ${m.from_version ?? '(none)'} → ${m.to_version} (${m.reason})`);
      }),
    );
}
