import { describe, expect, it } from 'vitest';
import { ClassifierRecord, decodeLogBatch, encodeLogBatch, transferList, type LoggedRecord } from './log-codec.js';
import type { PredictionRecord } from './serving.js';
import { prediction } from './test-support/serving-store-contract.js';

describe('log batch codec', () => {
  it('rebuilds records equal to the originals, key order included, after a structured clone', () => {
    const records = [
      prediction('prd_a', { groups: { region: 'EU' } }),
      prediction('prd_b', { role: 'shadow', primaryId: 'prd_a', requestId: null, version: 2, decision: 'auto', confidence: 0.99 }),
      prediction('prd_c', { outputs: { value: 3.5 }, label: null, confidence: null, decision: 'auto' }),
      prediction('prd_d', { outputs: { label: 'x', probabilities: { x: 0.7, y: 0.2, z: 0.1 } }, label: 'x', redacted: true }),
      prediction('prd_e', { outputs: { label: 'billing', probabilities: { billing: 0.5, other: 0.5 } }, groups: { region: null, tier: 'gold' } }),
      prediction('prd_f', { outputs: { probabilities: { a: 1 }, label: 'a' } }),
      prediction('prd_g', { outputs: { label: 'a', probabilities: { a: 'high' } } }),
    ];
    const encoded = structuredClone(encodeLogBatch(records));
    expect(encoded.classSets).toEqual([
      ['billing', 'other'],
      ['x', 'y', 'z'],
    ]);
    const decoded = decodeLogBatch(encoded);
    expect(decoded).toEqual(records);
    expect(decoded.map((r) => JSON.stringify(r.outputs))).toEqual(records.map((r) => JSON.stringify(r.outputs)));
  });

  it('keeps a class named __proto__ as an own key of the probabilities', () => {
    const probabilities = JSON.parse('{"__proto__": 0.25, "constructor": 0.75}') as Record<string, number>;
    const record = prediction('prd_p', { outputs: { label: 'constructor', probabilities }, label: 'constructor' });
    const [decoded] = decodeLogBatch(structuredClone(encodeLogBatch([record])));
    const p = (decoded!.outputs as { probabilities: Record<string, number> }).probabilities;
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(Object.keys(p)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(decoded!.outputs)).toBe(JSON.stringify(record.outputs));
  });

  it('reads records without groups as groups {}', () => {
    const { groups: _g, ...bare } = prediction('prd_a');
    expect(decodeLogBatch(encodeLogBatch([bare]))[0]!.groups).toEqual({});
  });
});

describe('log batch codec with outputs as JSON text', () => {
  it('sends outputsJson as it is and gives back outputs equal to the text', () => {
    const outputs = { label: 'x', probabilities: { x: 0.7, y: 0.2, z: 0.1 } };
    const records = [
      { ...prediction('prd_a', { outputs }), outputsJson: JSON.stringify(outputs) },
      prediction('prd_b', { outputs: { label: 'y', probabilities: { x: 0.1, y: 0.9 } }, label: 'y' }),
      prediction('prd_c', { outputs: { value: 3.5 }, label: null, confidence: null, decision: 'auto' }),
    ];
    const encoded = structuredClone(encodeLogBatch(records));
    // Only prd_b's probabilities travel as numbers.
    expect(Array.from(encoded.probabilities)).toEqual([0.1, 0.9]);
    expect(encoded.outputsJson).toEqual([JSON.stringify(outputs), null, null]);
    const decoded = decodeLogBatch(encoded);
    expect(decoded[0]!.outputsJson).toBe(JSON.stringify(outputs));
    expect((decoded[0] as LoggedRecord).inputsJson).toBe(JSON.stringify(records[0]!.inputs));
    // inputs and outputs are accessors of the first record's class: compare them field by field.
    const plain = (r: PredictionRecord) => {
      const { inputsJson: _i, ...own } = r as PredictionRecord & { inputsJson?: string };
      return { ...own, inputs: r.inputs, outputs: r.outputs };
    };
    expect(decoded.map(plain)).toEqual(records.map((r) => ({ ...r })));
    expect(decoded.map((r) => Object.keys(plain(r)).sort())).toEqual(records.map((r) => Object.keys(r).sort()));
  });
});

describe('log batch codec: shared strings, numbers and inputs', () => {
  const text = (id: string, extra: Partial<PredictionRecord> = {}): PredictionRecord => {
    const r = prediction(id, extra);
    return { ...r, outputsJson: JSON.stringify(r.outputs) };
  };

  it('sends repeated strings once and numbers and flags in transferable arrays', () => {
    const records = [
      text('prd_a'),
      text('prd_b', { decision: 'auto', confidence: null, redacted: true, latencyMs: 0.5 }),
      text('prd_c', { label: null, outputs: { label: null, probabilities: {} }, at: '2026-01-02T00:00:00.001Z', version: 7 }),
    ];
    const batch = encodeLogBatch(records);
    expect(batch.shared).toEqual(['2026-01-02T00:00:00.000Z', 'support', 'primary', 'review', 'billing', 'auto', '2026-01-02T00:00:00.001Z']);
    expect(transferList(batch)).toHaveLength(6);
    const moved = structuredClone(batch, { transfer: transferList(batch) });
    expect(batch.refs.length).toBe(0);
    const decoded = decodeLogBatch(moved);
    expect(decoded.map((r) => [r.at, r.label, r.confidence, r.decision, r.redacted, r.latencyMs, r.version])).toEqual([
      ['2026-01-02T00:00:00.000Z', 'billing', 0.6, 'review', false, 1.25, 1],
      ['2026-01-02T00:00:00.000Z', 'billing', null, 'auto', true, 0.5, 1],
      ['2026-01-02T00:00:00.001Z', null, 0.6, 'review', false, 1.25, 7],
    ]);
  });

  it('formats inputs JSON exactly as JSON.stringify does and rebuilds equal inputs', () => {
    const inputs: Array<Record<string, unknown>> = [
      { text: 'del \u007f quote " backslash \\ newline \n tab \t é 😀 \u2028 lone \ud800' },
      { b: 2, a: -0, 2: 'two', 1: true, c: null, d: 1e21, e: Number.NaN },
      {},
      JSON.parse('{"__proto__": "x", "key \\"quoted\\"": 1}') as Record<string, unknown>,
      { text: 'after the others' },
    ];
    const records = inputs.map((given, i) => text(`prd_${i}`, { inputs: given }));
    const batch = structuredClone(encodeLogBatch(records));
    expect(batch.otherInputs).toEqual([]);
    expect(batch.inputKeys).toHaveLength(4);
    const decoded = decodeLogBatch(batch) as LoggedRecord[];
    expect(decoded.map((r) => r.inputsJson)).toEqual(inputs.map((given) => JSON.stringify(given)));
    for (const [i, r] of decoded.entries()) {
      expect(r.inputs).toEqual(inputs[i]);
      expect(Object.keys(r.inputs)).toEqual(Object.keys(inputs[i]!));
    }
    expect(Object.getPrototypeOf(decoded[3]!.inputs)).toBe(Object.prototype);
  });

  it('sends inputs holding objects, arrays or undefined as objects, and records without outputs text whole', () => {
    const records = [
      text('prd_a', { inputs: { tags: ['a', 'b'], text: 'x' } }),
      text('prd_b', { inputs: { nested: { a: 1 } } }),
      text('prd_c', { inputs: { text: 'y', missing: undefined } }),
      prediction('prd_d', { inputs: { text: 'plain record' } }),
      prediction('prd_e', { inputs: { deep: { b: [1] } }, outputs: { value: 3 }, label: null }),
    ];
    const batch = structuredClone(encodeLogBatch(records));
    expect(batch.otherInputs).toEqual([records[0]!.inputs, records[1]!.inputs, { text: 'y' }, records[4]!.inputs]);
    const decoded = decodeLogBatch(batch);
    expect(decoded.map((r) => r.inputs)).toEqual(records.map((r) => r.inputs));
    expect(decoded.map((r) => (r as { inputsJson?: string }).inputsJson)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(decoded.slice(3)).toEqual(records.slice(3));
  });
});

describe('log batch codec with classifier records', () => {
  const classified = (id: string, probabilities: Record<string, number>, label: string, fairness?: { attribute: string | null; group: string; threshold: number | null }) =>
    new ClassifierRecord(id, '2026-01-02T00:00:00.000Z', 'support', 'support', 1, 'primary', null, 'req-1', { text: 'hi' }, JSON.stringify(probabilities), fairness, label, 0.6, 'review', 1.25, false, {});

  it('sends the probabilities text and makes outputs JSON equal to JSON.stringify on the writer side', () => {
    const fairness = { attribute: 'region', group: 'EU', threshold: 0.7 };
    const records = [classified('prd_a', { billing: 0.6, other: 0.4 }, 'billing'), classified('prd_b', { 'a "quoted"': 0.5, b: 0.5 }, 'a "quoted"', fairness), classified('prd_c', { x: 1 }, 'x')];
    const batch = encodeLogBatch(records);
    expect(batch.outputsJson).toEqual([null, null, null]);
    expect(batch.probabilitiesJson).toEqual(records.map((r) => r.probabilitiesJson));
    expect(batch.fairness).toEqual([fairness]);
    const decoded = decodeLogBatch(structuredClone(batch, { transfer: transferList(batch) }));
    const expected = [
      { label: 'billing', probabilities: { billing: 0.6, other: 0.4 } },
      { label: 'a "quoted"', probabilities: { 'a "quoted"': 0.5, b: 0.5 }, fairness },
      { label: 'x', probabilities: { x: 1 } },
    ];
    expect(decoded.map((r) => r.outputsJson)).toEqual(expected.map((o) => JSON.stringify(o)));
    expect(records.map((r) => r.outputsJson)).toEqual(expected.map((o) => JSON.stringify(o)));
    expect(decoded.map((r) => r.outputs)).toEqual(expected);
    expect(records.map((r) => r.outputs)).toEqual(expected);
    expect((decoded as LoggedRecord[]).map((r) => r.inputsJson)).toEqual(['{"text":"hi"}', '{"text":"hi"}', '{"text":"hi"}']);
  });
});
