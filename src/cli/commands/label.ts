/** `mloop label …`: labeling projects, answers, consensus, agreement, adjudication and export. */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { localPrincipal } from '../../auth/index.js';
import { versionJson } from '../../datasets/index.js';
import { MloopError } from '../../errors/index.js';
import {
  CONSENSUS_METHODS,
  projectJson,
  UNCERTAINTY_STRATEGIES,
  type ConsensusMethodName,
  type UncertaintyStrategy,
} from '../../labeling/index.js';
import { table } from '../context.js';
import { collect, parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

function parseUnit(name: string, maxExclusive = false) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (maxExclusive ? n >= 1 : n > 1)) {
      throw new InvalidArgumentError(`${name} must be a number from 0 to ${maxExclusive ? 'below ' : ''}1, got '${value}'`);
    }
    return n;
  };
}

function parseMethod(value: string): ConsensusMethodName {
  if (!CONSENSUS_METHODS.includes(value as ConsensusMethodName))
    throw new InvalidArgumentError(`expected ${CONSENSUS_METHODS.join(' or ')}, got '${value}'`);
  return value as ConsensusMethodName;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw MloopError.notFound(what, path, { cause: err });
  }
}

const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '-' : x.toFixed(digits));

export function registerLabel(program: Command, run: Runner): void {
  const label = program
    .command('label')
    .description('labeling projects with quality control: queue, consensus, agreement, adjudication, export');

  label
    .command('create')
    .description('create a labeling project on a dataset version')
    .argument('<project>', 'project name (also the scope of per-project roles such as annotator:<project>)')
    .requiredOption('--dataset <ref>', 'dataset version to label (name@N, or name for the latest)')
    .requiredOption('--labels <a,b,c>', 'the label set, in tie-breaking order', collect, [])
    .option('--id <column>', 'column identifying items (default: the row number)')
    .option('--show <columns>', 'columns shown to annotators (default: the text columns)', collect, [])
    .option('--overlap <k>', 'how many people label each item', parseIntOption(1, 50), 1)
    .option('--gold <ref>', 'dataset version with gold labels, matched by the id column')
    .option('--gold-column <column>', "gold version's label column (default: its label-role column, or label/gold)")
    .option(
      '--gold-rate <r>',
      'share of served items that are gold questions (default 0.1 with --gold)',
      parseUnit('--gold-rate', true),
    )
    .option('--seed <text>', "secret seed placing each annotator's gold questions (default: random); fix it for reproducible runs")
    .option('--instructions <file>', 'a text or Markdown file shown to annotators')
    .option('--lease-seconds <s>', 'how long an annotator holds an item', parseIntOption(5, 86_400), 600)
    .option(
      '--adjudication-threshold <c>',
      'consensus confidence below which items go to reviewers',
      parseUnit('--adjudication-threshold'),
      0.7,
    )
    .option('--min-gold-accuracy <a>', 'annotators below this gold accuracy are paused', parseUnit('--min-gold-accuracy'), 0.6)
    .option('--min-gold-answers <n>', 'gold answers before the accuracy rule applies', parseIntOption(1, 10_000), 5)
    .option('--consensus <method>', 'default consensus: mv (majority vote) or ds (Dawid–Skene)', parseMethod, 'ds')
    .action(
      run(
        async (
          ctx,
          name: string,
          o: {
            dataset: string;
            labels: string[];
            id?: string;
            show: string[];
            overlap: number;
            gold?: string;
            goldColumn?: string;
            goldRate?: number;
            seed?: string;
            instructions?: string;
            leaseSeconds: number;
            adjudicationThreshold: number;
            minGoldAccuracy: number;
            minGoldAnswers: number;
            consensus: ConsensusMethodName;
          },
        ) => {
          const instructions =
            o.instructions === undefined ? undefined : readText(resolve(ctx.io.cwd, o.instructions), 'instructions file');
          const p = await ctx.withWorkspace((ws) =>
            ws.labeling.createProject({
              name,
              dataset: o.dataset,
              labels: o.labels,
              idColumn: o.id,
              showColumns: o.show,
              overlap: o.overlap,
              gold: o.gold,
              goldColumn: o.goldColumn,
              goldRate: o.goldRate,
              seed: o.seed,
              instructions,
              leaseSeconds: o.leaseSeconds,
              adjudicationThreshold: o.adjudicationThreshold,
              minGoldAccuracy: o.minGoldAccuracy,
              minGoldAnswers: o.minGoldAnswers,
              consensus: o.consensus,
              actor: localPrincipal().userName,
            }),
          );
          ctx.emit(projectJson(p), (r) =>
            [
              `Created labeling project '${r.name}' on ${r.dataset}: labels ${r.labels.join(', ')}; overlap ${r.overlap}${r.gold ? `; gold from ${r.gold} at rate ${r.gold_rate}` : ''}.`,
              `Give people access with 'mloop user grant <user> annotator:${r.name}' (or reviewer:${r.name}).`,
            ].join('\n'),
          );
        },
      ),
    );

  label
    .command('list')
    .description('list labeling projects')
    .action(
      run(async (ctx) => {
        const projects = await ctx.withWorkspace((ws) => ws.labeling.listProjects());
        ctx.emit({ projects: projects.map((p) => projectJson(p)) }, (r) =>
          table(
            ['project', 'dataset', 'labels', 'overlap', 'gold'],
            r.projects.map((p) => [
              p.name,
              p.dataset,
              p.labels.join(','),
              p.overlap,
              p.gold ? `${p.gold} @ ${p.gold_rate}` : null,
            ]),
          ),
        );
      }),
    );

  label
    .command('stats')
    .description('progress, agreement, adjudication and per-annotator quality')
    .argument('<project>', 'project name')
    .option('--replicates <n>', 'bootstrap resamples for intervals', parseIntOption(10, 100_000), 1000)
    .action(
      run(async (ctx, name: string, o: { replicates: number }) => {
        const s = await ctx.withWorkspace((ws) => ws.labeling.stats(name, { replicates: o.replicates }));
        ctx.emit(s, (r) =>
          [
            `${r.project} on ${r.dataset}: ${r.items.complete}/${r.items.total} items complete (overlap ${r.overlap}), ${r.items.gold} gold, ${r.answers.total} answers (${r.answers.flagged} flagged), ${r.active_leases} leased now`,
            `agreement: Fleiss' kappa ${fmt(r.agreement.fleiss_kappa)}, Krippendorff's alpha ${fmt(r.agreement.krippendorff_alpha)}; adjudication: ${r.adjudication.pending} waiting, ${r.adjudication.decided} decided`,
            table(
              ['annotator', 'state', 'answers', 'flagged', 'gold acc', 'gold 95% CI', 'agrees w/ consensus'],
              r.annotators.map((a) => [
                a.worker,
                a.state,
                a.answers,
                a.flagged,
                a.gold ? `${fmt(a.gold.accuracy, 2)} (${a.gold.correct}/${a.gold.answers})` : null,
                a.gold?.ci ? `${fmt(a.gold.ci.lower, 2)}–${fmt(a.gold.ci.upper, 2)}` : null,
                fmt(a.consensus_agreement, 2),
              ]),
            ),
          ].join('\n'),
        );
      }),
    );

  label
    .command('consensus')
    .description('per-item consensus label and confidence')
    .argument('<project>', 'project name')
    .option(
      '--method <method>',
      'mv (majority vote, ties to the earlier label) or ds (Dawid–Skene); default: the project setting',
      parseMethod,
    )
    .action(
      run(async (ctx, name: string, o: { method?: ConsensusMethodName }) => {
        const c = await ctx.withWorkspace((ws) => ws.labeling.consensus(name, o.method));
        ctx.emit(c, (r) =>
          [
            `${r.project}: ${r.items.length} items by ${r.method}`,
            table(
              ['item', 'label', 'confidence', 'method', 'answers'],
              r.items.map((i) => [i.item, i.label, fmt(i.confidence), i.method, i.answers]),
            ),
          ].join('\n'),
        );
      }),
    );

  label
    .command('agreement')
    .description("inter-annotator agreement: Fleiss' kappa, Krippendorff's alpha, pairwise Cohen's kappa (bootstrap intervals)")
    .argument('<project>', 'project name')
    .option('--replicates <n>', 'bootstrap resamples', parseIntOption(10, 100_000), 1000)
    .option('--seed <n>', 'bootstrap seed', parseIntOption(0, 2 ** 31 - 1), 1)
    .option('--min-shared <n>', 'pairs sharing fewer items are skipped', parseIntOption(1, 1_000_000), 10)
    .action(
      run(async (ctx, name: string, o: { replicates: number; seed: number; minShared: number }) => {
        const a = await ctx.withWorkspace((ws) => ws.labeling.agreement(name, o));
        const ci = (x: { lower: number; upper: number } | null) => (x ? ` (95% CI ${fmt(x.lower)}–${fmt(x.upper)})` : '');
        ctx.emit(a, (r) =>
          [
            `${r.project}: ${r.answers} answers on ${r.items} items`,
            `Fleiss' kappa        ${fmt(r.fleiss_kappa)}${ci(r.intervals.fleiss_kappa)}${r.details.fleiss['reason'] ? `  (${String(r.details.fleiss['reason'])})` : ''}`,
            `Krippendorff's alpha ${fmt(r.krippendorff_alpha)}${ci(r.intervals.krippendorff_alpha)}`,
            `Cohen's kappa pairs  ${r.cohen_kappa_pairs.length} (mean ${fmt(r.details.cohen_mean)})`,
            ...(r.cohen_kappa_pairs.length <= 30
              ? r.cohen_kappa_pairs.map((p) => `  ${p.a} × ${p.b}: ${fmt(p.kappa)} on ${p.n} items${ci(p.ci)}`)
              : []),
          ].join('\n'),
        );
      }),
    );

  label
    .command('import-answers')
    .description('import answers collected elsewhere from a CSV with columns item, worker, label')
    .argument('<project>', 'project name')
    .argument('<file>', 'CSV file')
    .action(
      run(async (ctx, name: string, file: string) => {
        const path = resolve(ctx.io.cwd, file);
        const text = readText(path, 'answers file');
        const r = await ctx.withWorkspace((ws) => ws.labeling.importAnswersCsv(name, text, basename(path)));
        ctx.emit(r, (x) => {
          const lines = [`Imported ${x.inserted} answers into '${x.project}' (${x.existing} were there already).`];
          if (x.changed.length > 0) {
            lines.push(
              `${x.changed.length} answers differ from the answer their worker gave before and were not imported; the recorded answer is kept:`,
            );
            for (const c of x.changed.slice(0, 10))
              lines.push(`  item '${c.item}', worker '${c.worker}': kept '${c.kept}', not imported '${c.not_imported}'`);
            if (x.changed.length > 10) lines.push(`  … and ${x.changed.length - 10} more (--json lists them all)`);
          }
          if (x.paused.length > 0) lines.push(`Paused below the gold accuracy: ${x.paused.join(', ')}.`);
          return lines.join('\n');
        });
      }),
    );

  label
    .command('queue')
    .description('the adjudication queue: items whose consensus confidence is below the threshold')
    .argument('<project>', 'project name')
    .action(
      run(async (ctx, name: string) => {
        const q = await ctx.withWorkspace((ws) => ws.labeling.adjudicationQueue(name));
        ctx.emit(q, (r) =>
          [
            `${r.project}: ${r.items.length} items below ${r.threshold} (${r.method})`,
            table(
              ['item', 'consensus', 'confidence', 'answers'],
              r.items.map((i) => [i.item, i.label, fmt(i.confidence), i.answers]),
            ),
          ].join('\n'),
        );
      }),
    );

  label
    .command('adjudicate')
    .description("record a reviewer's final label for an item")
    .argument('<project>', 'project name')
    .argument('<item>', 'item id')
    .argument('<label>', 'the final label')
    .option('--note <text>', 'why', '')
    .action(
      run(async (ctx, name: string, item: string, value: string, o: { note: string }) => {
        const d = await ctx.withWorkspace((ws) => ws.labeling.adjudicate(name, localPrincipal().userName, item, value, o.note));
        ctx.emit(d, (r) => `Item '${r.item}' of '${r.project}' is '${r.label}' (final, by ${r.reviewer}).`);
      }),
    );

  for (const verb of ['pause', 'resume'] as const) {
    label
      .command(verb)
      .description(
        verb === 'pause'
          ? 'pause an annotator: leases released, pending answers flagged and left out of consensus'
          : 'resume a paused annotator (flagged answers stay flagged)',
      )
      .argument('<project>', 'project name')
      .argument('<annotator>', 'user or worker name')
      .option('--reason <text>', 'why', 'paused by hand')
      .action(
        run(async (ctx, name: string, worker: string, o: { reason: string }) => {
          const actor = localPrincipal().userName;
          if (verb === 'pause') {
            const r = await ctx.withWorkspace((ws) => ws.labeling.pause(name, worker, o.reason, actor));
            ctx.emit(r, (x) => `Paused '${x.worker}': ${x.flagged} answers flagged, ${x.released} leases released.`);
          } else {
            const r = await ctx.withWorkspace((ws) => ws.labeling.resume(name, worker, actor));
            ctx.emit(r, (x) => `Resumed '${x.worker}'.`);
          }
        }),
      );
  }

  label
    .command('prioritize')
    .description('active learning: serve unanswered items most uncertain first by a model, with a share of random items')
    .argument('<project>', 'project name')
    .requiredOption('--model <ref>', 'registered model (name@champion, name@N)')
    .option('--strategy <s>', `uncertainty: ${UNCERTAINTY_STRATEGIES.join(' or ')}`, 'margin')
    .option('--random-share <r>', 'share of items placed at random positions', parseUnit('--random-share'), 0.1)
    .option('--seed <n>', 'seed of the random share', parseIntOption(0, 2 ** 31 - 1), 1)
    .action(
      run(async (ctx, name: string, o: { model: string; strategy: string; randomShare: number; seed: number }) => {
        const r = await ctx.withWorkspace((ws) =>
          ws.labeling.prioritize(name, {
            model: o.model,
            strategy: o.strategy as UncertaintyStrategy,
            randomShare: o.randomShare,
            seed: o.seed,
          }),
        );
        ctx.emit(
          r,
          (x) =>
            `Ordered ${x.ordered} unanswered items of '${x.project}' by ${x.strategy} of ${x.model} (${x.random} placed at random).`,
        );
      }),
    );

  label
    .command('export')
    .description('write the final labels as a new dataset version (label, confidence, method, annotators) with lineage')
    .argument('<project>', 'project name')
    .requiredOption('--name <dataset>', 'dataset to add the version to')
    .option('--method <method>', 'consensus method (default: the project setting)', parseMethod)
    .option('--label-column <name>', 'name of the label column (others get it as prefix)', 'label')
    .option(
      '--include-unfinished',
      'also export items with fewer answers than the overlap and items waiting for a reviewer',
      false,
    )
    .action(
      run(
        async (
          ctx,
          name: string,
          o: { name: string; method?: ConsensusMethodName; labelColumn: string; includeUnfinished: boolean },
        ) => {
          const r = await ctx.withWorkspace((ws) =>
            ws.labeling.export(name, {
              name: o.name,
              actor: localPrincipal().userName,
              method: o.method,
              labelColumn: o.labelColumn,
              includeUnfinished: o.includeUnfinished,
            }),
          );
          ctx.emit({ created: r.created, rows: r.rows, left_out: r.left_out, version: versionJson(r.version) }, (x) => {
            const left = x.left_out.incomplete + x.left_out.awaiting_review;
            return (
              `${x.version.ref}${x.created ? '' : ' (identical content: existing version)'}: ${x.rows} labelled rows from '${name}', lineage ${x.version.lineage.parents.join(', ')}.` +
              (left > 0
                ? ` Left out ${left} unfinished items (${x.left_out.incomplete} with too few answers, ${x.left_out.awaiting_review} waiting for a reviewer); --include-unfinished exports them.`
                : '')
            );
          });
        },
      ),
    );
}
