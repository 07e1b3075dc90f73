import { describe, expect, it } from 'vitest';
import { MloopError } from '../errors/index.js';
import type { ClassificationData } from '../evaluation/index.js';
import { mulberry32 } from '../stats/index.js';
import {
  auditFairness,
  checkFairnessGate,
  checkFairnessRule,
  parseFairnessGate,
  validateFairnessRule,
  type FairnessReport,
} from './index.js';

function issuesOf(raw: unknown): Array<{ path: string; message: string }> {
  try {
    parseFairnessGate(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(MloopError);
    expect((e as MloopError).code).toBe('INVALID_ARGUMENT');
    return (e as MloopError).details!['issues'] as Array<{ path: string; message: string }>;
  }
  throw new Error('expected a validation error');
}

describe('parseFairnessGate', () => {
  it('accepts the documented rule shapes', () => {
    const gate = parseFairnessGate({
      name: 'fairness',
      rules: [
        { metric: 'fairness.equalized_odds_difference', attribute: 'sex', max: 0.05, bound: 'upper' },
        { metric: 'fairness.auto_share_difference', attribute: 'region', max: 0.1 },
        { metric: 'fairness.demographic_parity_ratio', attribute: 'sex&race', min: 0.8, if_insufficient: 'skip' },
        { metric: 'fairness.demographic_parity_difference', attribute: 'sex', beats_champion_by: -0.02 },
      ],
    });
    expect(gate.rules).toHaveLength(4);
    expect(gate.name).toBe('fairness');
  });

  it('names the path of every problem', () => {
    const issues = issuesOf({
      rules: [
        { metric: 'fairness.equalised_odds', attribute: 'sex', max: 0.05 },
        { metric: 'fairness.demographic_parity_difference', max: 0.1, min: 0 },
        { metric: 'fairness.accuracy_difference', attribute: 'sex', max: '0.1', bound: 'top', colour: 'red' },
        'not a rule',
      ],
      extra: 1,
    });
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual([
      'extra',
      'rules.0.metric',
      'rules.1.attribute',
      'rules.1',
      'rules.2.colour',
      'rules.2.max',
      'rules.2.bound',
      'rules.3',
    ]);
    expect(issues[1]!.message).toMatch(/valid: fairness\.demographic_parity_difference, .*fairness\.equalized_odds_difference/);
    expect(() => parseFairnessGate({ rules: [] })).toThrow(/rules: expected a non-empty array/);
    // an intersection needs distinct, non-empty column names
    expect(issuesOf({ rules: [{ metric: 'fairness.demographic_parity_ratio', attribute: 'sex&race', min: 0.8 }, { metric: 'fairness.demographic_parity_ratio', attribute: 'sex&', min: 0.8 }, { metric: 'fairness.demographic_parity_ratio', attribute: 'race&race', min: 0.8 }] })).toEqual([
      { path: 'rules.1.attribute', code: 'invalid_gate', message: "attribute 'sex&' has an empty column name; write a column (sex) or columns joined by '&' (sex&race)" },
      { path: 'rules.2.attribute', code: 'invalid_gate', message: "attribute 'race&race' names 'race' twice" },
    ]);
    expect(() => parseFairnessGate([])).toThrow(MloopError);
  });

  it('validates a single rule for a caller that parses the rest of the gate', () => {
    expect(validateFairnessRule({ metric: 'fairness.fpr_difference', attribute: 'sex', max: 0.1 }, 'rules.4')).toEqual([]);
    expect(
      validateFairnessRule(
        { metric: 'fairness.fpr_difference', attribute: 'sex', max: 0.1, if_insufficient: 'maybe' },
        'rules.4',
      ),
    ).toEqual([{ path: 'rules.4.if_insufficient', code: 'invalid_gate', message: "expected 'fail' or 'skip'" }]);
  });
});

/** Two groups with a known disparity; `shift` widens it (the challenger). */
function biased(shift: number, seed = 1, n = 2000): { data: ClassificationData; sex: string[]; tiny: string[] } {
  const rand = mulberry32(seed);
  const sex = Array.from({ length: n }, () => (rand() < 0.45 ? 'F' : 'M'));
  const yTrue = sex.map(() => (rand() < 0.35 ? 1 : 0));
  const yPred = yTrue.map((t, i) => (rand() < (t ? 0.75 : 0.1) + (sex[i] === 'M' ? shift : 0) ? 1 : 0));
  const confidence = yPred.map(() => 0.5 + rand() / 2);
  const tiny = sex.map((s, i) => (i < 10 ? 'rare' : s));
  return {
    data: {
      classes: ['no', 'yes'],
      yTrue: Int32Array.from(yTrue),
      yPred: Int32Array.from(yPred),
      confidence: Float64Array.from(confidence),
    },
    sex,
    tiny,
  };
}

describe('checkFairnessGate', () => {
  const champ = biased(0.0);
  const chall = biased(0.15);
  const opts = { replicates: 200, seed: 0, threshold: 0.8 };
  const champion = auditFairness(champ.data, { sex: champ.sex }, opts);
  const challenger = auditFairness(chall.data, { sex: chall.sex, tiny: chall.tiny }, opts);
  const gate = parseFairnessGate({
    rules: [
      { metric: 'fairness.equalized_odds_difference', attribute: 'sex', max: 0.05, bound: 'upper' },
      { metric: 'fairness.auto_share_difference', attribute: 'sex', max: 0.1 },
      { metric: 'fairness.demographic_parity_difference', attribute: 'sex', beats_champion_by: -0.02 },
    ],
  });

  it('passes a model within the limits and blocks one that widens the gap, saying why', () => {
    const ok = checkFairnessGate(gate, champion, champion);
    const eo = champion.attributes['sex']!.differences.equalized_odds_difference!;
    expect(eo.upper).not.toBeNull();
    expect(ok.rules[0]!.observed).toBe(eo.upper);
    expect(ok.rules[0]!.status).toBe(eo.upper! <= 0.05 ? 'pass' : 'fail');
    expect(ok.rules[1]!.status).toBe('pass');
    expect(ok.rules[2]).toMatchObject({ status: 'pass', observed: 0 });

    const bad = checkFairnessGate(gate, challenger, champion);
    expect(bad.passed).toBe(false);
    expect(bad.rules[0]!.status).toBe('fail');
    expect(bad.rules[0]!.message).toMatch(
      /^equalized_odds_difference for 'sex' = 0\.\d{4} \(upper bound; point 0\.\d{4}\) \((tpr|fpr): F 0\.\d{4}, M 0\.\d{4}\)$/,
    );
    expect(bad.rules[0]!.expected).toBe("fairness.equalized_odds_difference (upper bound) for 'sex' ≤ 0.05");
    expect(bad.rules[2]!.status).toBe('fail');
    expect(bad.rules[2]!.observed!).toBeLessThan(-0.02);
  });

  it('skips a champion comparison without a champion', () => {
    const r = checkFairnessRule(gate.rules[2]!, challenger);
    expect(r).toMatchObject({ status: 'skip', message: 'no champion to compare with' });
  });

  it('fails on a missing audit, attribute or threshold', () => {
    expect(checkFairnessRule(gate.rules[0]!, undefined).status).toBe('fail');
    const r = checkFairnessRule({ metric: 'fairness.demographic_parity_difference', attribute: 'race', max: 0.1 }, challenger);
    expect(r).toMatchObject({ status: 'fail', message: "attribute 'race' was not audited; audited: sex, tiny" });
    const noThreshold = auditFairness(chall.data, { sex: chall.sex }, { replicates: 0 });
    expect(checkFairnessRule(gate.rules[1]!, noThreshold)).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/needs an automation threshold/),
    });
  });

  it('names the groups left out of the comparison', () => {
    const r = checkFairnessRule({ metric: 'fairness.demographic_parity_difference', attribute: 'tiny', max: 1 }, challenger);
    expect(r.status).toBe('pass');
    expect(r.message).toMatch(/not compared: rare: 10 rows, fewer than the minimum group size 30/);
  });

  it('fails, or skips on request, when fewer than two groups can be compared', () => {
    const small: FairnessReport = auditFairness(chall.data, { sex: chall.sex }, { replicates: 0, minGroupSize: 5000 });
    const rule = { metric: 'fairness.demographic_parity_difference', attribute: 'sex', max: 0.1 };
    expect(checkFairnessRule(rule, small)).toMatchObject({ status: 'fail', observed: null });
    expect(checkFairnessRule(rule, small).message).toMatch(
      /fewer than two groups of 'sex' can be compared.*F: \d+ rows, fewer than the minimum group size 5000/,
    );
    expect(checkFairnessRule({ ...rule, if_insufficient: 'skip' }, small).status).toBe('skip');
    expect(checkFairnessGate({ rules: [{ ...rule, if_insufficient: 'skip' }] }, small).passed).toBe(true);
  });

  it('applies floors to ratios (four-fifths rule)', () => {
    const ratio = challenger.attributes['sex']!.differences.demographic_parity_ratio!.value!;
    const r = checkFairnessRule({ metric: 'fairness.demographic_parity_ratio', attribute: 'sex', min: 0.8 }, challenger);
    expect(r.status).toBe(ratio >= 0.8 ? 'pass' : 'fail');
    expect(r.observed).toBe(ratio);
  });
});
