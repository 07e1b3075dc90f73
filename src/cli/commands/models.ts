import type { Command } from 'commander';
import { localPrincipal } from '../../auth/index.js';
import { modelJson, moveJson, versionJson } from '../../registry/index.js';
import { table } from '../context.js';
import { parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

export function registerModels(program: Command, run: Runner): void {
  const models = program.command('models').description('the model registry: versions, aliases and their history');
  models
    .command('list')
    .description('list models with their latest version and aliases')
    .action(
      run(async (ctx) => {
        const list = await ctx.withWorkspace((ws) => ws.registry.listModels());
        ctx.emit({ models: list.map(modelJson) }, (r) =>
          r.models.length === 0
            ? "no models yet; 'mloop train' registers one"
            : table(['model', 'task', 'latest', 'aliases'], r.models.map((m) => [m.name, m.task, m.latest_version, Object.entries(m.aliases).map(([a, v]) => `${a}→${v}`).join(' ')])),
        );
      }),
    );
  models
    .command('show')
    .description('show a model (all versions) or one version: name, name@N or name@alias')
    .argument('<ref>', 'model reference')
    .action(
      run(async (ctx, ref: string) => {
        type Shown = { version?: ReturnType<typeof versionJson>; model?: ReturnType<typeof modelJson>; versions?: Array<ReturnType<typeof versionJson>> };
        const result = await ctx.withWorkspace(async (ws): Promise<Shown> => {
          if (ref.includes('@')) return { version: versionJson(await ws.registry.resolve(ref)) };
          const model = await ws.registry.getModel(ref);
          return { model: modelJson(model), versions: (await ws.registry.listVersions(ref)).map(versionJson) };
        });
        ctx.emit(result, (r) => {
          if (r.version !== undefined) {
            const v = r.version;
            return [
              `${v.ref} (${v.task})${v.aliases.length ? ` — aliases: ${v.aliases.join(', ')}` : ''}`,
              `created ${v.created_at} by ${v.created_by}; learner ${v.record.learner}, seed ${v.record.seed}, code ${v.record.codeVersion}`,
              `trained on ${v.record.datasets.join(', ') || '-'}`,
              `metrics: ${Object.entries(v.record.metrics).map(([k, x]) => `${k}=${typeof x === 'number' ? x.toFixed(4) : JSON.stringify(x)}`).join(', ')}`,
              `artifacts: ${v.artifacts.map((a) => `${a.name} (${a.size} B)`).join(', ')}`,
            ].join('\n');
          }
          return [
            `${r.model!.name} (${r.model!.task}), latest version ${r.model!.latest_version}`,
            '',
            table(['version', 'created', 'aliases', 'datasets'], r.versions!.map((v) => [v.version, v.created_at, v.aliases.join(' '), v.record.datasets.join(' ')])),
          ].join('\n');
        });
      }),
    );
  const alias = models.command('alias').description('point an alias (champion, challenger, …) at a version');
  alias
    .command('set')
    .description('move an alias to a version; the move is recorded with its reason')
    .argument('<model>', 'model name')
    .argument('<alias>', 'alias name')
    .argument('<version>', 'version number', parseIntOption(1, 2 ** 31 - 1))
    .requiredOption('--reason <text>', 'why (kept in the history)')
    .action(
      run(async (ctx, model: string, name: string, version: number, opts: { reason: string }) => {
        const move = await ctx.withWorkspace(async (ws) => {
          const v = await ws.registry.resolve(`${model}@${version}`);
          return ws.registry.setAlias(localPrincipal().userName, model, name, version, opts.reason, { metrics: v.record.metrics });
        });
        ctx.emit(moveJson(move), (m) => `${m.model}@${m.alias}: ${m.from_version ?? '(none)'} → ${m.to_version} (${m.reason})`);
      }),
    );
  alias
    .command('remove')
    .description('remove an alias; recorded in the history')
    .argument('<model>', 'model name')
    .argument('<alias>', 'alias name')
    .requiredOption('--reason <text>', 'why (kept in the history)')
    .action(
      run(async (ctx, model: string, name: string, opts: { reason: string }) => {
        const move = await ctx.withWorkspace((ws) => ws.registry.removeAlias(localPrincipal().userName, model, name, opts.reason));
        ctx.emit(moveJson(move), (m) => `${m.model}@${m.alias} removed (was ${m.from_version}; ${m.reason})`);
      }),
    );
  models
    .command('history')
    .description('every alias move of a model: who, when, from which version to which, why')
    .argument('<model>', 'model name')
    .option('--alias <alias>', 'only this alias')
    .action(
      run(async (ctx, model: string, opts: { alias?: string }) => {
        const moves = await ctx.withWorkspace((ws) => ws.registry.history(model, opts.alias));
        ctx.emit({ model, history: moves.map(moveJson) }, (r) =>
          r.history.length === 0
            ? `no alias moves for '${model}' yet`
            : table(['when', 'alias', 'from', 'to', 'who', 'why'], r.history.map((m) => [m.at, m.alias, m.from_version, m.to_version, m.actor, m.reason])),
        );
      }),
    );
  models
    .command('describe')
    .description("edit a model's intended use, out-of-scope use and known limitations (shown in its card)")
    .argument('<model>', 'model name')
    .option('--intended-use <text>', 'what the model is for')
    .option('--out-of-scope <text>', 'where it must not be used')
    .option('--limitations <text>', 'known limitations')
    .action(
      run(async (ctx, model: string, opts: { intendedUse?: string; outOfScope?: string; limitations?: string }) => {
        const m = await ctx.withWorkspace((ws) =>
          ws.registry.describe(model, {
            ...(opts.intendedUse === undefined ? {} : { intendedUse: opts.intendedUse }),
            ...(opts.outOfScope === undefined ? {} : { outOfScopeUse: opts.outOfScope }),
            ...(opts.limitations === undefined ? {} : { limitations: opts.limitations }),
          }),
        );
        ctx.emit(modelJson(m), (r) => `Updated the description of '${r.name}'.`);
      }),
    );
}
