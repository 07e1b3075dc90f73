/** The store interface the labeling concept needs; SqlLabelingStore implements it for every backend. */
import type { Adjudication, AnnotatorState, AnswerRecord, LabelingItem, LabelingProject, LeasedItem } from './labeling.js';

/** An item to create with its project. */
export type NewItem = Omit<LabelingItem, 'filled'>;

/** What `next` needs to lease an item. */
export interface NextRequest {
  projectId: string;
  annotator: string;
  /** Maximum live slots per (non-gold) item: the overlap k. */
  overlap: number;
  /** Kinds to try, in order: `gold` first when this item should be a gold question. */
  order: ReadonlyArray<'gold' | 'regular'>;
  now: Date;
  leaseMs: number;
}

/** Counts behind an annotator's progress. */
export interface AnnotatorProgress {
  answered: number;
  skipped: number;
  /** Items (gold included) this annotator could still be given now. */
  available: number;
}

/** Counts behind a project's progress. */
export interface ProjectCounts {
  items: number;
  gold: number;
  /** Dataset items (not gold) with at least `overlap` counted answers. */
  complete: number;
  /** Dataset items (not gold) with at least one counted answer. */
  started: number;
  answers: number;
  flaggedAnswers: number;
  activeLeases: number;
}

/** Result of a bulk answer import. */
export interface ImportAnswersResult {
  inserted: number;
  /** (item, worker) pairs that had an answer already (kept as they were). */
  existing: number;
}

/**
 * Projects, items, leases and answers. The queue invariants hold under concurrent callers on every
 * backend: an annotator is never given an item they were given before (unless their lease expired),
 * and a non-gold item never has more than `overlap` live slots (leases plus counted answers).
 */
export interface LabelingStore {
  /** Creates a project with its items in one transaction; ALREADY_EXISTS when the name is taken. */
  createProject(project: LabelingProject, items: readonly NewItem[]): Promise<void>;
  /** The project named `name`, or undefined. */
  getProject(name: string): Promise<LabelingProject | undefined>;
  /** Every project, by name. */
  listProjects(): Promise<LabelingProject[]>;

  /**
   * Leases the next item for `annotator`: their live lease if they hold one, otherwise the first
   * kind in `order` that has an item for them — gold: an item they were never given; regular: the
   * highest-priority item they were never given with fewer than `overlap` live slots. Expired leases
   * are released first. Returns undefined when nothing is left for them.
   */
  next(request: NextRequest): Promise<LeasedItem | undefined>;
  /**
   * Records `label` for the lease `assignmentId` held by `annotator` with `leaseToken`. NOT_FOUND
   * when the assignment is not theirs; CONFLICT when the lease expired, was re-leased or used.
   */
  submit(
    projectId: string,
    annotator: string,
    assignmentId: string,
    leaseToken: string,
    label: string,
    now: Date,
  ): Promise<LabelingItem>;
  /** Gives a leased item back without answering (never offered to this annotator again). Errors as `submit`. */
  skip(projectId: string, annotator: string, assignmentId: string, leaseToken: string, now: Date): Promise<void>;
  /** Marks expired leases `expired` and frees their slots; returns how many. */
  expireLeases(projectId: string, now: Date): Promise<number>;

  /**
   * Stores imported answers (items must exist), counting them in `filled`; answers whose
   * (item, worker) exists already are left as they are.
   */
  importAnswers(
    projectId: string,
    answers: ReadonlyArray<{ item: string; worker: string; label: string }>,
    now: Date,
  ): Promise<ImportAnswersResult>;

  /** Every item of a project, by position. `withData: false` leaves `data` empty (cheaper). */
  listItems(projectId: string, options?: { withData?: boolean }): Promise<LabelingItem[]>;
  /** One item, or undefined. */
  getItem(projectId: string, key: string): Promise<LabelingItem | undefined>;
  /** Sets priorities (items not named keep theirs). */
  setPriorities(projectId: string, priorities: ReadonlyMap<string, number>): Promise<void>;
  /** Every answer (flagged included), by item then worker. */
  listAnswers(projectId: string, filter?: { item?: string; worker?: string }): Promise<AnswerRecord[]>;

  /** Records a reviewer's final decision; CONFLICT when the item was adjudicated already. */
  adjudicate(projectId: string, decision: Adjudication): Promise<void>;
  /** Every decision, by item. */
  listAdjudications(projectId: string): Promise<Adjudication[]>;

  /** The annotator's state, or undefined when they have none yet (active). */
  getAnnotator(projectId: string, worker: string): Promise<AnnotatorState | undefined>;
  /** Every annotator with a state row, by name. */
  listAnnotators(projectId: string): Promise<AnnotatorState[]>;
  /**
   * Pauses `worker` in one transaction: their live leases are released and their answers on
   * non-gold items without a decision are flagged (left out of consensus) and their slots freed.
   */
  pauseAnnotator(
    projectId: string,
    worker: string,
    reason: string,
    actor: string,
    now: Date,
  ): Promise<{ flagged: number; released: number }>;
  /** Makes `worker` active again (flagged answers stay flagged). */
  resumeAnnotator(projectId: string, worker: string, actor: string, now: Date): Promise<void>;

  /** How many items `annotator` has been served in the project (leased, answered or expired). */
  servedCount(projectId: string, annotator: string): Promise<number>;
  /** Counts of answers and gold answers right of one worker on gold items. */
  goldRecord(projectId: string, worker: string): Promise<{ answers: number; correct: number }>;
  /** An annotator's progress. */
  progress(projectId: string, annotator: string, overlap: number, now: Date): Promise<AnnotatorProgress>;
  /** A project's progress. */
  counts(projectId: string, overlap: number, now: Date): Promise<ProjectCounts>;
}
