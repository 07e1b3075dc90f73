/** Per-annotator quality: accuracy on gold items (Wilson interval) and agreement with consensus. */
import { MloopError } from '../../errors/index.js';
import type { AnswerSet } from './answer-set.js';
import type { ConsensusMethod, ConsensusResult } from './consensus.js';
import { checkLevel, wilsonInterval, type ConfidenceInterval } from './intervals.js';

export interface AnnotatorQualityOptions {
  /** Gold label per item id. Items not in the set are ignored; a gold value that is no class counts as missed. */
  gold?: ReadonlyMap<string, string | number> | Readonly<Record<string, string | number>>;
  /** A consensus computed from the same answer set. */
  consensus?: ConsensusResult;
  /** Coverage of the Wilson intervals (default 0.95). */
  level?: number;
}

/** Accuracy of one annotator on gold items. */
export interface GoldAccuracy {
  /** Answers on gold items. */
  answers: number;
  /** Of those, answers equal to gold. */
  correct: number;
  /** `correct / answers`, null without gold answers. */
  accuracy: number | null;
  /** Wilson score interval, null without gold answers. */
  ci: ConfidenceInterval | null;
}

/** Agreement of one annotator with the consensus. */
export interface ConsensusAgreement {
  /** Answers of the worker. */
  answers: number;
  /** Answers equal to the item's consensus label (the worker's own vote is part of that consensus). */
  agreeing: number;
  /** `agreeing / answers`, null without answers. */
  rate: number | null;
}

/** Quality figures of one annotator. */
export interface AnnotatorQuality {
  /** Worker id. */
  worker: string;
  /** All answers given. */
  answers: number;
  /** Accuracy on gold items; null when no gold was passed. */
  gold: GoldAccuracy | null;
  /** Agreement with consensus; null when no consensus was passed. */
  consensus: ConsensusAgreement | null;
}

/** Quality of every annotator of a set. */
export interface AnnotatorQualityResult {
  /** Stable metric id. */
  metric: 'annotators:quality';
  /** Coverage of the Wilson intervals. */
  level: number;
  /** Items of the set that have a gold label (0 without gold). */
  goldItems: number;
  /** Method of the consensus compared against, or null. */
  consensusMethod: ConsensusMethod | null;
  /** One row per worker, in worker-id order. */
  workers: AnnotatorQuality[];
}

/**
 * Per-annotator accuracy on gold items and agreement with a consensus.
 *
 * @example
 * annotatorQuality(set, { gold: new Map([['item-1', 'cat']]), consensus: dawidSkene(set) });
 */
export function annotatorQuality(set: AnswerSet, options: AnnotatorQualityOptions = {}): AnnotatorQualityResult {
  const level = checkLevel(options.level ?? 0.95);
  const { numItems, numWorkers, numAnswers, answerItem, answerWorker, answerLabel } = set;
  const answers = new Int32Array(numWorkers);
  for (let a = 0; a < numAnswers; a++) answers[answerWorker[a]!]!++;

  let goldItems = 0;
  let goldAnswers: Int32Array | null = null;
  let goldCorrect: Int32Array | null = null;
  if (options.gold !== undefined) {
    const gold = new Int32Array(numItems).fill(-1); // -1 no gold, -2 gold outside the classes
    const entries = options.gold instanceof Map ? options.gold.entries() : Object.entries(options.gold);
    for (const [item, value] of entries as Iterable<[string, string | number]>) {
      const i = set.itemIndex.get(item);
      if (i === undefined) continue;
      gold[i] = set.classIndex.get(String(value)) ?? -2;
      goldItems++;
    }
    goldAnswers = new Int32Array(numWorkers);
    goldCorrect = new Int32Array(numWorkers);
    for (let a = 0; a < numAnswers; a++) {
      const g = gold[answerItem[a]!]!;
      if (g === -1) continue;
      goldAnswers[answerWorker[a]!]!++;
      if (g === answerLabel[a]) goldCorrect[answerWorker[a]!]!++;
    }
  }

  let agreeing: Int32Array | null = null;
  const consensus = options.consensus;
  if (consensus !== undefined) {
    const aligned =
      consensus.items.length === numItems &&
      consensus.classes.length === set.numClasses &&
      consensus.items.every((id, i) => id === set.itemIds[i]) &&
      consensus.classes.every((c, i) => c === set.classes[i]);
    if (!aligned) throw MloopError.invalidArgument('the consensus was computed from another answer set (items or classes differ)');
    agreeing = new Int32Array(numWorkers);
    for (let a = 0; a < numAnswers; a++) {
      if (consensus.labelIndex[answerItem[a]!] === answerLabel[a]) agreeing[answerWorker[a]!]!++;
    }
  }

  const workers: AnnotatorQuality[] = set.workerIds.map((worker, w) => {
    const n = answers[w]!;
    let gold: GoldAccuracy | null = null;
    if (goldAnswers !== null && goldCorrect !== null) {
      const ga = goldAnswers[w]!;
      const gc = goldCorrect[w]!;
      gold = { answers: ga, correct: gc, accuracy: ga === 0 ? null : gc / ga, ci: wilsonInterval(gc, ga, level) };
    }
    const agreement: ConsensusAgreement | null =
      agreeing === null ? null : { answers: n, agreeing: agreeing[w]!, rate: n === 0 ? null : agreeing[w]! / n };
    return { worker, answers: n, gold, consensus: agreement };
  });
  return { metric: 'annotators:quality', level, goldItems, consensusMethod: consensus?.method ?? null, workers };
}
