import { describe, expect, it } from 'vitest';
import { decodeLogBatch, encodeLogBatch } from './log-codec.js';
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
    // outputs is an accessor of the first record's class: compare it field by field.
    expect(decoded.map((r) => ({ ...r, outputs: r.outputs }))).toEqual(records.map((r) => ({ ...r })));
    expect(decoded.map((r) => Object.keys({ ...r, outputs: r.outputs }).sort())).toEqual(records.map((r) => Object.keys(r).sort()));
  });
});
