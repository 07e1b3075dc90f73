/**
 * The labeling service: projects on dataset versions, the assignment queue with gold questions,
 * consensus, adjudication, agreement, annotator quality (with automatic pausing) and export.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  canonicalHash,
  readColumns,
  type ColumnSchema,
  type DatasetService,
  type DatasetVersion,
  type ImportResult,
} from '../datasets/index.js';
import { MloopError, type ValidationIssue } from '../errors/index.js';
import { newId } from '../storage/index.js';
import { parseAnswersCsv, type ExternalAnswer } from './answers-csv.js';
import { goldPhase, isGoldTurn } from './gold-schedule.js';
import {
  assertProjectName,
  CONSENSUS_METHODS,
  DEFAULT_PROJECT_CONFIG,
  type AnswerRecord,
  type ConsensusMethodName,
  type LabelingItem,
  type LabelingProject,
  type ProjectConfig,
} from './labeling.js';
import type { LabelingStore, NewItem } from './labeling-store.js';
import {
  annotatorQuality,
  buildAnswerSet,
  dawidSkene,
  fleissKappa,
  krippendorffAlpha,
  createRng,
  majorityVote,
  pairwiseCohenKappa,
  type AnswerSet,
  type ConsensusResult,
} from './quality/index.js';

/** What `mloop label create` and `POST /v1/labeling/projects` accept. */
export interface CreateProjectInput {
  name: string;
  /** Dataset version reference (`name@N`, or `name` for the latest). */
  dataset: string;
  labels: string[];
  idColumn?: string | undefined;
  showColumns?: string[] | undefined;
  overlap?: number | undefined;
  /** A dataset version with gold labels (matched by the id column, or row number without one). */
  gold?: string | undefined;
  /** Column of `gold` holding the label (default: its `label`-role column, else `label` or `gold`). */
  goldColumn?: string | undefined;
  goldRate?: number | undefined;
  /** Secret seed placing the gold questions (reproducible runs pass one); random by default. */
  seed?: string | undefined;
  instructions?: string | undefined;
  leaseSeconds?: number | undefined;
  adjudicationThreshold?: number | undefined;
  minGoldAccuracy?: number | undefined;
  minGoldAnswers?: number | undefined;
  consensus?: ConsensusMethodName | undefined;
  actor: string;
}

/** The item an annotator sees: nothing tells a gold question apart. */
export interface ServedItem {
  assignment: { id: string; lease_token: string; expires_at: string };
  data: LabelingItem['data'];
}

/** One item's final label. */
export interface ConsensusItem {
  item: string;
  label: string;
  confidence: number;
  /** `majority-vote` or `dawid-skene`, or `gold` / `adjudicated` when a person's label wins. */
  method: string;
  /** Counted (unflagged) answers. */
  answers: number;
}

export interface ConsensusReport {
  project: string;
  method: 'majority-vote' | 'dawid-skene';
  /** Majority-vote tie rule, or Dawid–Skene's convergence. */
  details: Record<string, unknown>;
  items: ConsensusItem[];
}

export interface AgreementReport {
  project: string;
  answers: number;
  items: number;
  fleiss_kappa: number | null;
  krippendorff_alpha: number | null;
  cohen_kappa_pairs: Array<{
    a: string;
    b: string;
    kappa: number | null;
    n: number;
    ci: { lower: number; upper: number } | null;
  }>;
  intervals: {
    fleiss_kappa: { lower: number; upper: number; level: number } | null;
    krippendorff_alpha: { lower: number; upper: number; level: number } | null;
  };
  details: {
    fleiss: Record<string, unknown>;
    krippendorff: Record<string, unknown>;
    cohen_mean: number | null;
    cohen_pairs_skipped: number;
  };
}

export interface AdjudicationEntry {
  item: string;
  label: string;
  confidence: number;
  answers: number;
}

/** The little of a trained model active learning needs (the training concept's `Predictor` fits). */
export interface UncertaintyModel {
  readonly inputs: ReadonlyArray<{ name: string; kind: 'text' | 'numeric' | 'categorical' }>;
  readonly classes: readonly string[] | null;
  /** Row-major n×k probabilities. */
  predictProba(batch: Record<string, Float64Array | ReadonlyArray<string | null>>, n: number): Float64Array;
}

/** Uncertainty measures for active learning. */
export const UNCERTAINTY_STRATEGIES = Object.freeze(['margin', 'entropy'] as const);
export type UncertaintyStrategy = (typeof UNCERTAINTY_STRATEGIES)[number];

export interface LabelingServiceOptions {
  /** Loads a registered model (`name@alias` or `name@N`) for active learning. */
  loadModel?: (ref: string) => Promise<UncertaintyModel>;
  clock?: () => Date;
  /** Folder for export staging files. */
  tempDir: string;
}

const MAX_LABELS = 100;
const MAX_INSTRUCTIONS = 20_000;

function check(issues: ValidationIssue[], ok: boolean, path: string, message: string): void {
  if (!ok) issues.push({ path, code: 'invalid_value', message });
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function ident(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

function fullMethod(m: ConsensusMethodName): 'majority-vote' | 'dawid-skene' {
  return m === 'mv' ? 'majority-vote' : 'dawid-skene';
}

export class LabelingService {
  private readonly clock: () => Date;
  private readonly tempDir: string;
  private readonly loadModel: ((ref: string) => Promise<UncertaintyModel>) | undefined;

  constructor(
    private readonly store: LabelingStore,
    private readonly datasets: DatasetService,
    options: LabelingServiceOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.tempDir = options.tempDir;
    this.loadModel = options.loadModel;
  }

  /**
   * Active learning: orders the items nobody has answered yet by the model's uncertainty (margin:
   * 1 − (p₁ − p₂); entropy: −Σ p log p, normalised), most uncertain first, with a `randomShare`
   * of them placed at random (seeded) positions spread through the order to keep the sample honest.
   * Sets priorities n, n−1, … so the queue serves them in that order.
   */
  async prioritize(
    projectName: string,
    o: { model: string; strategy?: UncertaintyStrategy; randomShare?: number; seed?: number },
  ) {
    const p = await this.project(projectName);
    const strategy = o.strategy ?? 'margin';
    const share = o.randomShare ?? 0.1;
    if (!UNCERTAINTY_STRATEGIES.includes(strategy))
      throw MloopError.invalidArgument(`unknown strategy '${String(strategy)}'; use ${UNCERTAINTY_STRATEGIES.join(' or ')}`);
    if (!(share >= 0 && share <= 1))
      throw MloopError.invalidArgument(`the random share is between 0 and 1, got ${String(share)}`);
    if (!this.loadModel) throw MloopError.failedPrecondition('no model loader is configured for active learning');
    const model = await this.loadModel(o.model);
    if (!model.classes) throw MloopError.invalidArgument(`model '${o.model}' is not a classifier`);
    const source = await this.datasets.show(p.datasetRef);
    const items = (await this.store.listItems(p.id, { withData: false })).filter(
      (i) => i.inDataset && !i.isGold && i.filled === 0,
    );
    if (items.length === 0) return { project: p.name, model: o.model, strategy, ordered: 0, random: 0 };
    const read = await readColumns(
      this.datasets,
      source.ref,
      model.inputs.map((i) => i.name),
    );
    const rows = items.map((i) => i.position);
    const batch: Record<string, Float64Array | Array<string | null>> = {};
    for (const input of model.inputs) {
      const col = read.columns[input.name]!;
      if (input.kind === 'numeric')
        batch[input.name] = Float64Array.from(rows, (r) =>
          col.kind === 'numeric' ? col.values[r]! : Number(col.values[r] ?? Number.NaN),
        );
      else
        batch[input.name] = rows.map((r) => {
          const v = cell(col, r);
          return v === null ? null : String(v);
        });
    }
    const k = model.classes.length;
    const proba = model.predictProba(batch, rows.length);
    const score = items.map((_, i) => {
      const row = Array.from(proba.subarray(i * k, (i + 1) * k));
      if (strategy === 'entropy') return k < 2 ? 0 : -row.reduce((s, q) => s + (q > 0 ? q * Math.log(q) : 0), 0) / Math.log(k);
      const [a = 0, b = 0] = [...row].sort((x, y) => y - x);
      return 1 - (a - b);
    });
    const rng = createRng(o.seed ?? 1);
    const keys = items.map((i) => i.key);
    const randomPick = new Set<number>();
    const want = Math.round(share * keys.length);
    const pool = keys.map((_, i) => i);
    for (let j = 0; j < want; j++) {
      const at = j + Math.floor(rng() * (pool.length - j));
      [pool[j], pool[at]] = [pool[at]!, pool[j]!];
      randomPick.add(pool[j]!);
    }
    const byModel = keys
      .map((_, i) => i)
      .filter((i) => !randomPick.has(i))
      .sort((x, y) => score[y]! - score[x]! || x - y);
    const randoms = [...randomPick];
    const order: number[] = [];
    let taken = 0;
    for (let pos = 0; pos < keys.length; pos++) {
      // Spread random items evenly: one whenever the share of positions so far calls for another.
      const useRandom = taken < randoms.length && (byModel.length === 0 || Math.floor((pos + 1) * share) > taken);
      order.push(useRandom ? randoms[taken++]! : byModel.shift()!);
    }
    await this.store.setPriorities(p.id, new Map(order.map((i, rank) => [keys[i]!, keys.length - rank])));
    return {
      project: p.name,
      model: o.model,
      strategy,
      ordered: order.length,
      random: randoms.length,
      top: order.slice(0, 10).map((i) => ({ item: keys[i]!, uncertainty: score[i]!, random: randomPick.has(i) })),
    };
  }

  /**
   * Creates a project on a dataset version: one item per row (keyed by `idColumn` or the row
   * number), gold items from `gold`, and the settings validated up front.
   *
   * @example
   * await labeling.createProject({ name: 'support', dataset: 'tickets@3', labels: ['bug', 'billing'], overlap: 3, actor: 'ana' });
   */
  async createProject(o: CreateProjectInput): Promise<LabelingProject> {
    assertProjectName(o.name);
    if (await this.store.getProject(o.name)) throw MloopError.alreadyExists('labeling project', o.name);
    const version = await this.datasets.show(o.dataset);
    const columns = new Map(version.schema.map((c) => [c.name, c]));
    const labels = o.labels.map((l) => l.trim());
    const issues: ValidationIssue[] = [];
    check(issues, labels.length >= 2 && labels.length <= MAX_LABELS, 'labels', `give 2 to ${MAX_LABELS} labels`);
    check(issues, new Set(labels).size === labels.length, 'labels', 'labels must be distinct');
    labels.forEach((l, i) => check(issues, l.length >= 1 && l.length <= 100, `labels.${i}`, 'a label has 1 to 100 characters'));
    const idColumn = o.idColumn ?? null;
    if (idColumn !== null) check(issues, columns.has(idColumn), 'id', `column '${idColumn}' is not in ${version.ref}`);
    const defaultShow = version.schema
      .filter((c) => c.name !== idColumn && (c.roles.includes('text') || c.type === 'text'))
      .map((c) => c.name);
    const showColumns =
      o.showColumns && o.showColumns.length > 0
        ? o.showColumns
        : defaultShow.length > 0
          ? defaultShow
          : version.schema.filter((c) => c.name !== idColumn && !c.roles.includes('label')).map((c) => c.name);
    for (const c of showColumns)
      check(
        issues,
        columns.has(c),
        'show',
        `column '${c}' is not in ${version.ref} (columns: ${[...columns.keys()].join(', ')})`,
      );
    const overlap = o.overlap ?? DEFAULT_PROJECT_CONFIG.overlap;
    check(issues, Number.isInteger(overlap) && overlap >= 1 && overlap <= 50, 'overlap', 'overlap is an integer from 1 to 50');
    const goldRate = o.goldRate ?? (o.gold !== undefined ? 0.1 : 0);
    check(
      issues,
      Number.isFinite(goldRate) && goldRate >= 0 && goldRate < 1,
      'gold-rate',
      'the gold rate is at least 0 and below 1',
    );
    check(issues, goldRate === 0 || o.gold !== undefined, 'gold-rate', 'a gold rate needs --gold');
    check(issues, o.seed === undefined || (o.seed.length >= 1 && o.seed.length <= 200), 'seed', 'the seed has 1 to 200 characters');
    const config: ProjectConfig = {
      ...DEFAULT_PROJECT_CONFIG,
      labels,
      idColumn,
      showColumns,
      overlap,
      goldRate,
      goldSeed: o.seed ?? randomBytes(16).toString('hex'),
      goldColumn: null,
      ...(o.leaseSeconds !== undefined ? { leaseSeconds: o.leaseSeconds } : {}),
      ...(o.adjudicationThreshold !== undefined ? { adjudicationThreshold: o.adjudicationThreshold } : {}),
      ...(o.minGoldAccuracy !== undefined ? { minGoldAccuracy: o.minGoldAccuracy } : {}),
      ...(o.minGoldAnswers !== undefined ? { minGoldAnswers: o.minGoldAnswers } : {}),
      ...(o.consensus !== undefined ? { consensus: o.consensus } : {}),
    };
    check(
      issues,
      Number.isInteger(config.leaseSeconds) && config.leaseSeconds >= 5 && config.leaseSeconds <= 86_400,
      'lease-seconds',
      'the lease is 5 to 86400 seconds',
    );
    check(
      issues,
      config.adjudicationThreshold >= 0 && config.adjudicationThreshold <= 1,
      'adjudication-threshold',
      'the threshold is between 0 and 1',
    );
    check(
      issues,
      config.minGoldAccuracy >= 0 && config.minGoldAccuracy <= 1,
      'min-gold-accuracy',
      'the accuracy is between 0 and 1',
    );
    check(
      issues,
      Number.isInteger(config.minGoldAnswers) && config.minGoldAnswers >= 1,
      'min-gold-answers',
      'at least 1 gold answer',
    );
    check(
      issues,
      CONSENSUS_METHODS.includes(config.consensus),
      'consensus',
      `the consensus method is one of ${CONSENSUS_METHODS.join(', ')}`,
    );
    const instructions = o.instructions ?? '';
    check(
      issues,
      instructions.length <= MAX_INSTRUCTIONS,
      'instructions',
      `instructions have at most ${MAX_INSTRUCTIONS} characters`,
    );
    if (issues.length > 0) throw MloopError.validation(`cannot create project '${o.name}': ${issues[0]!.message}`, issues);

    const items = await this.readItems(version, idColumn, showColumns);
    let goldRef: string | null = null;
    if (o.gold !== undefined) {
      const gold = await this.datasets.show(o.gold);
      goldRef = gold.ref;
      config.goldColumn = await this.addGold(gold, o.goldColumn, config, items);
    }
    const project: LabelingProject = {
      id: newId('lbp'),
      name: o.name,
      datasetRef: version.ref,
      goldRef,
      config,
      instructions,
      createdAt: this.clock().toISOString(),
      createdBy: o.actor,
    };
    await this.store.createProject(project, items);
    return project;
  }

  private async readItems(
    version: DatasetVersion,
    idColumn: string | null,
    showColumns: string[],
    positionBase = 0,
  ): Promise<NewItem[]> {
    const wanted = [...new Set([...(idColumn ? [idColumn] : []), ...showColumns])];
    const read = await readColumns(this.datasets, version.ref, wanted);
    const items: NewItem[] = [];
    const seen = new Set<string>();
    for (let r = 0; r < read.rows; r++) {
      const data: NewItem['data'] = {};
      for (const c of showColumns) data[c] = cell(read.columns[c]!, r);
      const key = idColumn ? cell(read.columns[idColumn]!, r) : String(r);
      if (key === null || key === '')
        throw MloopError.invalidArgument(`row ${r} of ${version.ref} has no value in the id column '${idColumn}'`);
      const k = String(key);
      if (seen.has(k))
        throw MloopError.invalidArgument(
          `the id column '${idColumn}' of ${version.ref} repeats '${k.slice(0, 80)}'; ids must be unique`,
        );
      seen.add(k);
      items.push({ key: k, position: positionBase + r, isGold: false, goldLabel: null, inDataset: true, data, priority: 0 });
    }
    return items;
  }

  /** Marks dataset items as gold, or adds gold-only items; returns the gold column used. */
  private async addGold(
    gold: DatasetVersion,
    goldColumn: string | undefined,
    config: ProjectConfig,
    items: NewItem[],
  ): Promise<string> {
    const names = gold.schema.map((c) => c.name);
    const column =
      goldColumn ?? gold.schema.find((c) => c.roles.includes('label'))?.name ?? names.find((n) => n === 'label' || n === 'gold');
    if (column === undefined || !names.includes(column)) {
      throw MloopError.invalidArgument(`${gold.ref} has no gold label column${goldColumn ? ` '${goldColumn}'` : ''}`, {
        hint: `name it with --gold-column (columns: ${names.join(', ')})`,
      });
    }
    if (config.idColumn !== null && !names.includes(config.idColumn)) {
      throw MloopError.invalidArgument(`${gold.ref} lacks the id column '${config.idColumn}' that matches gold rows to items`);
    }
    const byKey = new Map(items.map((i) => [i.key, i]));
    const read = await readColumns(this.datasets, gold.ref, [
      ...new Set([column, ...(config.idColumn ? [config.idColumn] : []), ...config.showColumns.filter((c) => names.includes(c))]),
    ]);
    const labels = new Set(config.labels);
    let base = items.length;
    const goldRows = new Map<string, { row: number; label: string }>();
    for (let r = 0; r < read.rows; r++) {
      const value = cell(read.columns[column]!, r);
      if (value === null || value === '') continue;
      const label = String(value);
      if (!labels.has(label))
        throw MloopError.invalidArgument(
          `gold label '${label.slice(0, 80)}' in row ${r} of ${gold.ref} is not one of the labels (${config.labels.join(', ')})`,
        );
      const id = config.idColumn ? cell(read.columns[config.idColumn]!, r) : String(r);
      if (id === null || id === '')
        throw MloopError.invalidArgument(
          `row ${r} of ${gold.ref} has a gold label but no value in the id column '${config.idColumn}'`,
        );
      const key = String(id);
      const before = goldRows.get(key);
      if (before)
        throw MloopError.invalidArgument(
          `the id column '${config.idColumn}' of ${gold.ref} repeats '${key.slice(0, 80)}' (rows ${before.row} and ${r}, labels '${before.label.slice(0, 80)}' and '${label.slice(0, 80)}'); gold ids must be unique`,
          { hint: 'keep one gold row per item' },
        );
      goldRows.set(key, { row: r, label });
      const existing = byKey.get(key);
      if (existing) {
        existing.isGold = true;
        existing.goldLabel = label;
        continue;
      }
      const missing = config.showColumns.filter((c) => !names.includes(c));
      if (missing.length > 0)
        throw MloopError.invalidArgument(
          `gold row '${key}' is not an item of the dataset, and ${gold.ref} lacks the shown column(s) ${missing.join(', ')}`,
        );
      const data: NewItem['data'] = {};
      for (const c of config.showColumns) data[c] = cell(read.columns[c]!, r);
      const item: NewItem = { key, position: base++, isGold: true, goldLabel: label, inDataset: false, data, priority: 0 };
      items.push(item);
      byKey.set(key, item);
    }
    return column;
  }

  /** The project named `name`; NOT_FOUND otherwise. */
  async project(name: string): Promise<LabelingProject> {
    assertProjectName(name);
    const p = await this.store.getProject(name);
    if (!p) throw MloopError.notFound('labeling project', name, { hint: "'mloop label list' shows the projects" });
    return p;
  }

  /** Every project, by name. */
  listProjects(): Promise<LabelingProject[]> {
    return this.store.listProjects();
  }

  /**
   * The next item for `annotator`, or null when nothing is left for them. Gold questions come at
   * `goldRate`, evenly spaced with a phase from the project's secret seed and the annotator's name
   * (a gold turn serves gold first, when one is left); nothing in the answer marks them.
   */
  async next(projectName: string, annotator: string): Promise<ServedItem | null> {
    const p = await this.project(projectName);
    const gold =
      p.config.goldRate > 0 &&
      isGoldTurn(await this.store.servedCount(p.id, annotator), p.config.goldRate, goldPhase(p.config.goldSeed ?? p.id, annotator));
    const leased = await this.store.next({
      projectId: p.id,
      annotator,
      overlap: p.config.overlap,
      order: gold ? ['gold', 'regular'] : ['regular'],
      now: this.clock(),
      leaseMs: p.config.leaseSeconds * 1000,
    });
    if (!leased) return null;
    return {
      assignment: {
        id: leased.assignment.id,
        lease_token: leased.assignment.leaseToken,
        expires_at: leased.assignment.expiresAt,
      },
      data: leased.item.data,
    };
  }

  /** Records an answer for a lease; a gold answer re-checks the annotator's gold accuracy. */
  async submit(
    projectName: string,
    annotator: string,
    assignmentId: string,
    leaseToken: string,
    label: string,
  ): Promise<{ recorded: true }> {
    const p = await this.project(projectName);
    if (!p.config.labels.includes(label)) {
      throw MloopError.invalidArgument(`label '${label.slice(0, 80)}' is not one of ${p.config.labels.join(', ')}`, {
        details: { labels: p.config.labels },
      });
    }
    const item = await this.store.submit(p.id, annotator, assignmentId, leaseToken, label, this.clock());
    if (item.isGold) await this.enforceGold(p, annotator);
    return { recorded: true };
  }

  /** Gives an item back without answering. */
  async skip(projectName: string, annotator: string, assignmentId: string, leaseToken: string): Promise<{ skipped: true }> {
    const p = await this.project(projectName);
    await this.store.skip(p.id, annotator, assignmentId, leaseToken, this.clock());
    return { skipped: true };
  }

  /** What an annotator has done and can still do, and the project's completion. */
  async progress(projectName: string, annotator: string) {
    const p = await this.project(projectName);
    const now = this.clock();
    const mine = await this.store.progress(p.id, annotator, p.config.overlap, now);
    const state = await this.store.getAnnotator(p.id, annotator);
    const counts = await this.store.counts(p.id, p.config.overlap, now);
    return {
      project: p.name,
      annotator,
      state: state?.state ?? 'active',
      answered: mine.answered,
      skipped: mine.skipped,
      available: mine.available,
      project_items: counts.items - counts.gold,
      project_complete: counts.complete,
    };
  }

  /** Pauses `worker` when their gold accuracy is below the project's minimum; returns whether it did. */
  private async enforceGold(p: LabelingProject, worker: string): Promise<boolean> {
    const g = await this.store.goldRecord(p.id, worker);
    if (g.answers < p.config.minGoldAnswers) return false;
    const accuracy = g.correct / g.answers;
    if (accuracy >= p.config.minGoldAccuracy) return false;
    const state = await this.store.getAnnotator(p.id, worker);
    if (state?.state === 'paused') return false;
    await this.store.pauseAnnotator(
      p.id,
      worker,
      `gold accuracy ${accuracy.toFixed(2)} (${g.correct}/${g.answers}) is below ${p.config.minGoldAccuracy}`,
      'system',
      this.clock(),
    );
    return true;
  }

  /** NOT_FOUND unless `worker` was served an item or had answers imported in `p`, or has a state there. */
  private async assertAnnotator(p: LabelingProject, worker: string): Promise<void> {
    if ((await this.store.getAnnotator(p.id, worker)) !== undefined) return;
    if ((await this.store.servedCount(p.id, worker)) > 0) return;
    throw MloopError.notFound('annotator', `${p.name}/${worker.slice(0, 80)}`, {
      hint: `annotators are those served items or with imported answers in '${p.name}' (names are case-sensitive); 'mloop label stats ${p.name}' lists them`,
    });
  }

  /** Pauses an annotator of the project by hand (NOT_FOUND for anyone else): leases released, pending answers flagged. */
  async pause(projectName: string, worker: string, reason: string, actor: string) {
    const p = await this.project(projectName);
    await this.assertAnnotator(p, worker);
    return { worker, ...(await this.store.pauseAnnotator(p.id, worker, reason, actor, this.clock())) };
  }

  /** Resumes a paused annotator (NOT_FOUND for anyone else; their flagged answers stay out of consensus). */
  async resume(projectName: string, worker: string, actor: string) {
    const p = await this.project(projectName);
    await this.assertAnnotator(p, worker);
    await this.store.resumeAnnotator(p.id, worker, actor, this.clock());
    return { worker, state: 'active' as const };
  }

  /**
   * Imports answers collected elsewhere. Items must be in the project and labels in its label set
   * (every problem is reported); answers already stored are kept: `existing` counts the identical
   * ones, and `changed` lists each answer whose worker had answered the item with another label
   * (the recorded label is kept, the imported one is not stored). Gold accuracy is then re-checked.
   */
  async importAnswers(projectName: string, answers: readonly ExternalAnswer[]) {
    const p = await this.project(projectName);
    const items = new Set((await this.store.listItems(p.id, { withData: false })).map((i) => i.key));
    const labels = new Set(p.config.labels);
    const issues: ValidationIssue[] = [];
    const seen = new Set<string>();
    answers.forEach((a, i) => {
      if (issues.length >= 20) return;
      if (!items.has(a.item))
        issues.push({
          path: `answers.${i}.item`,
          code: 'unknown_item',
          message: `item '${a.item.slice(0, 80)}' is not in project '${p.name}'`,
        });
      else if (!labels.has(a.label))
        issues.push({
          path: `answers.${i}.label`,
          code: 'unknown_label',
          message: `label '${a.label.slice(0, 80)}' is not one of ${p.config.labels.join(', ')}`,
        });
      const key = `${a.item}\u0000${a.worker}`;
      if (seen.has(key))
        issues.push({
          path: `answers.${i}`,
          code: 'duplicate',
          message: `worker '${a.worker.slice(0, 80)}' answers item '${a.item.slice(0, 80)}' twice`,
        });
      seen.add(key);
    });
    if (issues.length > 0) throw MloopError.validation(`cannot import answers into '${p.name}': ${issues[0]!.message}`, issues);
    const recorded = new Map((await this.store.listAnswers(p.id)).map((a) => [`${a.item}\u0000${a.worker}`, a.label]));
    const changed: Array<{ item: string; worker: string; kept: string; not_imported: string }> = [];
    const fresh = answers.filter((a) => {
      const kept = recorded.get(`${a.item}\u0000${a.worker}`);
      if (kept === undefined || kept === a.label) return true;
      changed.push({ item: a.item, worker: a.worker, kept, not_imported: a.label });
      return false;
    });
    const r = await this.store.importAnswers(p.id, fresh, this.clock());
    const paused: string[] = [];
    for (const w of new Set(answers.map((a) => a.worker))) if (await this.enforceGold(p, w)) paused.push(w);
    return { project: p.name, inserted: r.inserted, existing: r.existing, changed, paused };
  }

  /** Imports answers from CSV text (columns item, worker, label). */
  async importAnswersCsv(projectName: string, text: string, source?: string) {
    return this.importAnswers(projectName, parseAnswersCsv(text, source));
  }

  private async answerSet(
    p: LabelingProject,
  ): Promise<{ set: AnswerSet | null; answers: AnswerRecord[]; items: LabelingItem[] }> {
    const [answers, items] = await Promise.all([this.store.listAnswers(p.id), this.store.listItems(p.id, { withData: false })]);
    const counted = answers.filter((a) => !a.flagged);
    const set = counted.length === 0 ? null : buildAnswerSet(counted, { classes: p.config.labels });
    return { set, answers, items };
  }

  /**
   * Final labels per dataset item: a reviewer's decision, else the gold label, else the consensus
   * (`mv` majority vote, `ds` Dawid–Skene over every counted answer, gold questions included).
   */
  async consensus(projectName: string, method?: ConsensusMethodName): Promise<ConsensusReport> {
    const p = await this.project(projectName);
    const m = method ?? p.config.consensus;
    if (!CONSENSUS_METHODS.includes(m))
      throw MloopError.invalidArgument(`unknown consensus method '${m}'; use ${CONSENSUS_METHODS.join(' or ')}`);
    const { set, items } = await this.answerSet(p);
    const decisions = new Map((await this.store.listAdjudications(p.id)).map((d) => [d.item, d]));
    let result: ConsensusResult | null = null;
    let details: Record<string, unknown> = {};
    if (set) {
      if (m === 'mv') {
        const mv = majorityVote(set);
        result = mv;
        details = { tie_rule: mv.tieRule, tied: mv.numTied };
      } else {
        const ds = dawidSkene(set);
        result = ds;
        details = {
          iterations: ds.iterations,
          converged: ds.converged,
          init: ds.options.init,
          priors: Object.fromEntries(ds.classes.map((c, i) => [c, ds.priors[i]])),
        };
      }
    }
    const index = new Map((result?.items ?? []).map((id, i) => [id, i]));
    const out: ConsensusItem[] = [];
    for (const item of items) {
      if (!item.inDataset) continue;
      const i = index.get(item.key);
      const answers = set && i !== undefined ? set.itemStart[i + 1]! - set.itemStart[i]! : 0;
      const decision = decisions.get(item.key);
      if (decision) out.push({ item: item.key, label: decision.label, confidence: 1, method: 'adjudicated', answers });
      else if (item.isGold && item.goldLabel !== null)
        out.push({ item: item.key, label: item.goldLabel, confidence: 1, method: 'gold', answers });
      else if (result && i !== undefined)
        out.push({ item: item.key, label: result.labels[i]!, confidence: result.confidence[i]!, method: result.method, answers });
    }
    return { project: p.name, method: fullMethod(m), details, items: out };
  }

  /** Items whose consensus confidence is below the threshold, with all k answers in and no decision yet. */
  async adjudicationQueue(
    projectName: string,
  ): Promise<{ project: string; threshold: number; method: string; items: AdjudicationEntry[] }> {
    const p = await this.project(projectName);
    const c = await this.consensus(projectName);
    const items = c.items
      .filter(
        (i) =>
          (i.method === 'majority-vote' || i.method === 'dawid-skene') &&
          i.answers >= p.config.overlap &&
          i.confidence < p.config.adjudicationThreshold,
      )
      .map(({ item, label, confidence, answers }) => ({ item, label, confidence, answers }))
      .sort((a, b) => a.confidence - b.confidence || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
    return { project: p.name, threshold: p.config.adjudicationThreshold, method: c.method, items };
  }

  /** One item for a reviewer: its data, every answer and the consensus. */
  async reviewItem(projectName: string, key: string) {
    const p = await this.project(projectName);
    const item = await this.store.getItem(p.id, key);
    if (!item || !item.inDataset) throw MloopError.notFound('item', `${p.name}/${key}`);
    const answers = await this.store.listAnswers(p.id, { item: key });
    const c = (await this.consensus(projectName)).items.find((i) => i.item === key) ?? null;
    const decision = (await this.store.listAdjudications(p.id)).find((d) => d.item === key) ?? null;
    return {
      item: key,
      data: item.data,
      answers: answers.map((a) => ({ worker: a.worker, label: a.label, flagged: a.flagged })),
      consensus: c,
      decision: decision
        ? { label: decision.label, reviewer: decision.reviewer, note: decision.note, decided_at: decision.decidedAt }
        : null,
    };
  }

  /** Records a reviewer's final decision on an item (CONFLICT when one exists). */
  async adjudicate(projectName: string, reviewer: string, key: string, label: string, note = '') {
    const p = await this.project(projectName);
    if (!p.config.labels.includes(label))
      throw MloopError.invalidArgument(`label '${label.slice(0, 80)}' is not one of ${p.config.labels.join(', ')}`);
    const item = await this.store.getItem(p.id, key);
    if (!item || !item.inDataset) throw MloopError.notFound('item', `${p.name}/${key}`);
    const c = (await this.consensus(projectName)).items.find((i) => i.item === key);
    const decidedAt = this.clock().toISOString();
    await this.store.adjudicate(p.id, {
      item: key,
      label,
      reviewer,
      note: note.slice(0, 2000),
      consensus: c ? { label: c.label, confidence: c.confidence, method: c.method } : null,
      decidedAt,
    });
    return { project: p.name, item: key, label, reviewer, decided_at: decidedAt, consensus: c ?? null };
  }

  /**
   * Agreement over every counted answer: Fleiss' kappa (items with the most common number of
   * answers), Krippendorff's alpha (any number ≥ 2), pairwise Cohen's kappa; bootstrap intervals.
   */
  async agreement(
    projectName: string,
    options: { replicates?: number; seed?: number; minShared?: number } = {},
  ): Promise<AgreementReport> {
    const p = await this.project(projectName);
    const { set } = await this.answerSet(p);
    const bootstrap = { replicates: options.replicates ?? 1000, seed: options.seed ?? 1 };
    if (!set) {
      return {
        project: p.name,
        answers: 0,
        items: 0,
        fleiss_kappa: null,
        krippendorff_alpha: null,
        cohen_kappa_pairs: [],
        intervals: { fleiss_kappa: null, krippendorff_alpha: null },
        details: {
          fleiss: { reason: 'no answers' },
          krippendorff: { reason: 'no answers' },
          cohen_mean: null,
          cohen_pairs_skipped: 0,
        },
      };
    }
    const fleiss = fleissKappa(set, { k: 'most-common', bootstrap });
    const alpha = krippendorffAlpha(set, { bootstrap });
    // Intervals per pair cost a bootstrap each: only for small teams.
    const pairs = pairwiseCohenKappa(set, { minShared: options.minShared ?? 10, ...(set.numWorkers <= 12 ? { bootstrap } : {}) });
    const interval = (ci: { lower: number; upper: number; level: number } | null) =>
      ci ? { lower: ci.lower, upper: ci.upper, level: ci.level } : null;
    return {
      project: p.name,
      answers: set.numAnswers,
      items: set.numItems,
      fleiss_kappa: fleiss.value,
      krippendorff_alpha: alpha.value,
      cohen_kappa_pairs: pairs.pairs.map((x) => ({
        a: x.workerA,
        b: x.workerB,
        kappa: x.value,
        n: x.n,
        ci: x.ci ? { lower: x.ci.lower, upper: x.ci.upper } : null,
      })),
      intervals: { fleiss_kappa: interval(fleiss.ci), krippendorff_alpha: interval(alpha.ci) },
      details: {
        fleiss: { k: fleiss.k, items_used: fleiss.itemsUsed, items_excluded: fleiss.itemsExcluded, reason: fleiss.reason },
        krippendorff: { items_used: alpha.itemsUsed, items_excluded: alpha.itemsExcluded, reason: alpha.reason },
        cohen_mean: pairs.meanKappa,
        cohen_pairs_skipped: pairs.pairsSkipped,
      },
    };
  }

  /** Progress, agreement, adjudication and per-annotator quality (gold accuracy with Wilson intervals). */
  async stats(projectName: string, options: { replicates?: number; seed?: number } = {}) {
    const p = await this.project(projectName);
    const now = this.clock();
    const counts = await this.store.counts(p.id, p.config.overlap, now);
    const { set, answers, items } = await this.answerSet(p);
    const gold = new Map(items.filter((i) => i.isGold && i.goldLabel !== null).map((i) => [i.key, i.goldLabel!]));
    const consensus = set ? (p.config.consensus === 'mv' ? majorityVote(set) : dawidSkene(set)) : undefined;
    const quality = set ? annotatorQuality(set, { gold, ...(consensus ? { consensus } : {}) }) : null;
    const states = new Map((await this.store.listAnnotators(p.id)).map((a) => [a.worker, a]));
    const workers = new Set([...states.keys(), ...answers.map((a) => a.worker)]);
    const flagged = new Map<string, number>();
    for (const a of answers) if (a.flagged) flagged.set(a.worker, (flagged.get(a.worker) ?? 0) + 1);
    const q = new Map((quality?.workers ?? []).map((w) => [w.worker, w]));
    const agreement = await this.agreement(projectName, options);
    const queue = await this.adjudicationQueue(projectName);
    const decided = (await this.store.listAdjudications(p.id)).length;
    return {
      project: p.name,
      dataset: p.datasetRef,
      overlap: p.config.overlap,
      items: {
        total: counts.items - counts.gold + items.filter((i) => i.isGold && i.inDataset).length,
        gold: counts.gold,
        complete: counts.complete,
        started: counts.started,
      },
      answers: { total: counts.answers, flagged: counts.flaggedAnswers },
      active_leases: counts.activeLeases,
      adjudication: { pending: queue.items.length, decided, threshold: p.config.adjudicationThreshold },
      agreement: {
        fleiss_kappa: agreement.fleiss_kappa,
        krippendorff_alpha: agreement.krippendorff_alpha,
        intervals: agreement.intervals,
      },
      consensus_method: fullMethod(p.config.consensus),
      annotators: [...workers].sort().map((w) => {
        const s = states.get(w);
        const row = q.get(w);
        return {
          worker: w,
          state: s?.state ?? 'active',
          reason: s?.reason ?? null,
          answers: row?.answers ?? 0,
          flagged: flagged.get(w) ?? 0,
          gold:
            row?.gold && row.gold.answers > 0
              ? { answers: row.gold.answers, correct: row.gold.correct, accuracy: row.gold.accuracy, ci: row.gold.ci }
              : null,
          consensus_agreement: row?.consensus?.rate ?? null,
        };
      }),
    };
  }

  /**
   * Exports the final labels as a new dataset version: the source rows whose label is final (a
   * reviewer's decision, a gold label, or a consensus over at least `overlap` answers with a
   * confidence at or above the adjudication threshold), with `label`, `label_confidence`,
   * `label_method` and `label_annotators` (prefix with `labelColumn`); lineage names the source
   * version and the project. `includeUnfinished` adds the items with fewer answers than the
   * overlap and those waiting for a reviewer; `left_out` counts what was not exported.
   */
  async export(
    projectName: string,
    o: {
      name: string;
      actor: string;
      method?: ConsensusMethodName | undefined;
      labelColumn?: string | undefined;
      includeUnfinished?: boolean | undefined;
    },
  ): Promise<ImportResult & { rows: number; left_out: { incomplete: number; awaiting_review: number } }> {
    const p = await this.project(projectName);
    if (o.labelColumn !== undefined && (o.labelColumn.trim().length === 0 || o.labelColumn.length > 60))
      throw MloopError.invalidArgument(
        `the label column name has 1 to 60 characters, not only spaces; got '${o.labelColumn.slice(0, 80)}'`,
        { hint: "leave out --label-column for 'label'" },
      );
    const source = await this.datasets.show(p.datasetRef);
    const all = await this.consensus(projectName, o.method);
    if (all.items.length === 0)
      throw MloopError.failedPrecondition(`project '${p.name}' has no labelled items to export`, {
        hint: 'label some items or import answers first',
      });
    const left_out = { incomplete: 0, awaiting_review: 0 };
    const finished = all.items.filter((i) => {
      if (i.method === 'adjudicated' || i.method === 'gold') return true;
      if (i.answers < p.config.overlap) left_out.incomplete++;
      else if (i.confidence < p.config.adjudicationThreshold) left_out.awaiting_review++;
      else return true;
      return false;
    });
    const includeUnfinished = o.includeUnfinished === true;
    const c = includeUnfinished ? all : { ...all, items: finished };
    if (includeUnfinished) Object.assign(left_out, { incomplete: 0, awaiting_review: 0 });
    if (c.items.length === 0)
      throw MloopError.failedPrecondition(
        `project '${p.name}' has no finished items to export (${left_out.incomplete} with fewer than ${p.config.overlap} answers, ${left_out.awaiting_review} waiting for a reviewer)`,
        { hint: 'finish labeling or adjudicate the queue, or export them anyway with --include-unfinished' },
      );
    const base = o.labelColumn ?? 'label';
    const cols = { label: base, confidence: `${base}_confidence`, method: `${base}_method`, annotators: `${base}_annotators` };
    const clash = Object.values(cols).filter((n) => source.schema.some((s) => s.name === n));
    if (clash.length > 0)
      throw MloopError.invalidArgument(`${source.ref} has column(s) ${clash.join(', ')} already`, {
        hint: 'choose another name with --label-column',
      });
    const positions = new Map((await this.store.listItems(p.id, { withData: false })).map((i) => [i.key, i.position]));
    const lines = c.items.map((i) =>
      JSON.stringify({
        pos: positions.get(i.item),
        label: i.label,
        confidence: i.confidence,
        method: i.method,
        annotators: i.answers,
      }),
    );
    const body = `${lines.join('\n')}\n`;
    const labelsSha = createHash('sha256').update(body).digest('hex');
    const transform = {
      kind: 'label-export' as const,
      project: p.name,
      method: c.method,
      labelColumn: base,
      items: c.items.length,
      labelsSha256: labelsSha,
      ...(includeUnfinished ? { includeUnfinished: true } : {}),
    };
    const contentHash = canonicalHash({ hash: 'mloop-label-export/1', parents: [source.contentHash], transform });
    const staged = join(this.tempDir, `upload-${process.pid}-${randomBytes(8).toString('hex')}.jsonl`);
    const schema: ColumnSchema[] = [
      ...source.schema.map((s) => ({ ...s, roles: s.roles.filter((r) => r !== 'label') })),
      { name: cols.label, physicalType: 'VARCHAR', type: 'categorical', roles: ['label'] },
      { name: cols.confidence, physicalType: 'DOUBLE', type: 'numeric', roles: [] },
      { name: cols.method, physicalType: 'VARCHAR', type: 'categorical', roles: [] },
      { name: cols.annotators, physicalType: 'INTEGER', type: 'integer', roles: [] },
    ];
    const parquet = await this.datasets.parquetPath(source);
    try {
      this.datasets.cleanupStale();
      writeFileSync(staged, body);
      const r = await this.datasets.createVersion(
        o.name,
        contentHash,
        o.actor,
        source.description,
        { parents: [source.ref], transform },
        { kind: 'derived' },
        async (db, out) => {
          await db.run(
            `COPY (SELECT s.* EXCLUDE (file_row_number), l.label AS ${ident(cols.label)}, l.confidence AS ${ident(cols.confidence)}, l.method AS ${ident(cols.method)}, l.annotators AS ${ident(cols.annotators)} ` +
              `FROM read_parquet(${sqlString(parquet)}, file_row_number = true) s ` +
              `JOIN read_json(${sqlString(staged)}, format = 'newline_delimited', columns = {pos: 'BIGINT', label: 'VARCHAR', confidence: 'DOUBLE', method: 'VARCHAR', annotators: 'INTEGER'}) l ON s.file_row_number = l.pos ` +
              `ORDER BY s.file_row_number) TO ${sqlString(out)} (FORMAT parquet)`,
          );
          return {
            rowCount: c.items.length,
            schema,
            stats: { labeling: { project: p.name, method: c.method, items: c.items.length } },
          };
        },
      );
      return { ...r, rows: c.items.length, left_out };
    } finally {
      rmSync(staged, { force: true });
    }
  }
}

function cell(
  col: { kind: 'numeric'; values: Float64Array } | { kind: 'string'; values: Array<string | null> },
  r: number,
): string | number | null {
  if (col.kind === 'numeric') {
    const v = col.values[r]!;
    return Number.isNaN(v) ? null : v;
  }
  return col.values[r] ?? null;
}
