import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../storage/test-support/backends.js';
import { ClassifierRecord, countByVersion, decodeLogSegment, LogSegmentBuilder, segmentHasId, type LogSegment } from './log-codec.js';
import type { PredictionRecord } from './serving.js';
import { SqlServingStore } from './sql-serving-store.js';
import { prediction } from './test-support/serving-store-contract.js';

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!;

function encode(records: readonly PredictionRecord[]): LogSegment {
  const b = new LogSegmentBuilder();
  for (const r of records) b.add(r);
  // As it crosses to the writer thread.
  return structuredClone(b.seal());
}

/** The rows a SQLite store holds after inserting `records`, in id order. */
async function stored(records: readonly PredictionRecord[]): Promise<unknown[]> {
  const t = await sqlite.make();
  try {
    await new SqlServingStore(t.backend.db).insertPredictions(records);
    const rows = await sql`SELECT * FROM predictions ORDER BY id`.execute(t.backend.db);
    const review = await sql`SELECT prediction_id, deployment, model, version, created_at, predicted, confidence FROM review_queue ORDER BY prediction_id`.execute(t.backend.db);
    return [rows.rows, review.rows];
  } finally {
    await t.cleanup();
  }
}

const classified = (id: string, probabilities: Record<string, number>, label: string, fairness?: { attribute: string | null; group: string; threshold: number | null }, groups: Record<string, string | null> = {}) =>
  new ClassifierRecord(id, '2026-01-02T00:00:00.000Z', 'support', 'support', 1, 'primary', null, 'req-1', { text: 'hi' }, probabilities, Object.keys(probabilities), fairness, label, 0.6, 'review', 1.25, false, groups);

describe('prediction log segments', () => {
  const records: PredictionRecord[] = [
    prediction('prd_a', { groups: { region: 'EU' } }),
    prediction('prd_b', { role: 'shadow', primaryId: 'prd_a', requestId: null, version: 2, decision: 'auto', confidence: 0.99 }),
    prediction('prd_c', { outputs: { value: 3.5 }, label: null, confidence: null, decision: 'auto', model: 'prices' }),
    prediction('prd_d', { outputs: { label: 'x', probabilities: { x: 0.7, y: 0.2, z: 0.1 } }, label: 'x', redacted: true, at: '2026-01-02T00:00:00.001Z' }),
    prediction('prd_e', { outputs: { label: 'billing', probabilities: { billing: 0.5, other: 0.5 } }, groups: { region: null, tier: 'gold' } }),
    prediction('prd_f', { inputs: { text: 'del \u007f quote " backslash \\ newline \n tab \t é 😀 \u2028 lone \ud800' } }),
    prediction('prd_g', { inputs: { b: 2, a: -0, 2: 'two', 1: true, c: null, d: 1e21, e: Number.NaN, missing: undefined, tags: ['a', { b: 1 }] } }),
    prediction('prd_h', { inputs: JSON.parse('{"__proto__": "x", "key \\"quoted\\"": 1}') as Record<string, unknown> }),
    { ...prediction('prd_i'), outputsJson: '{"label":"billing","probabilities":{"billing":0.6,"other":0.4}}' },
    (() => {
      const { groups: _g, ...noGroups } = prediction('prd_j');
      return noGroups;
    })(),
    classified('prd_k', { billing: 0.6, other: 0.4 }, 'billing'),
    classified('prd_l', { 'a "quoted"': 0.5, b: 0.5 }, 'a "quoted"', { attribute: 'region', group: 'EU', threshold: 0.7 }, { region: 'EU' }),
    prediction('prd_m', { requestId: 'req \ud83d\ude00 lone \udc00', primaryId: 'é' }),
  ];

  it('makes the store write every column exactly as for the original records', async () => {
    const decoded = decodeLogSegment(encode(records));
    expect(decoded).toHaveLength(records.length);
    expect(await stored(decoded)).toEqual(await stored(records));
  });

  it('gives back equal fields, and inputs, outputs and groups as JSON would', () => {
    const decoded = decodeLogSegment(encode(records));
    const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
    for (const [i, r] of records.entries()) {
      const d = decoded[i]!;
      expect([d.id, d.at, d.deployment, d.model, d.version, d.role, d.primaryId, d.requestId, d.label, d.confidence, d.decision, d.latencyMs, d.redacted]).toEqual([
        r.id,
        r.at,
        r.deployment,
        r.model,
        r.version,
        r.role,
        r.primaryId,
        r.requestId,
        r.label,
        r.confidence,
        r.decision,
        r.latencyMs,
        r.redacted,
      ]);
      expect(d.inputs).toEqual(json(r.inputs));
      expect(Object.keys(d.inputs)).toEqual(Object.keys(json(r.inputs) as object));
      expect(d.outputs).toEqual(json(r.outputs));
      expect(d.outputsJson).toBe(r.outputsJson ?? JSON.stringify(r.outputs));
      expect(d.groups).toEqual(r.groups ?? {});
    }
    // A key named __proto__ stays an own key.
    expect(Object.getPrototypeOf(decoded[7]!.inputs)).toBe(Object.prototype);
    expect(Object.keys(decoded[7]!.inputs)).toEqual(['__proto__', 'key "quoted"']);
    expect(decoded[11]!.outputs).toEqual({ label: 'a "quoted"', probabilities: { 'a "quoted"': 0.5, b: 0.5 }, fairness: { attribute: 'region', group: 'EU', threshold: 0.7 } });
  });

  it('stores a classifier record\'s probabilities as float64 bytes with its class list once, not as JSON text', async () => {
    const segment = encode(records);
    // The probabilities travel as numbers, not in the segment's text.
    expect(Buffer.from(segment.bytes).toString('utf8')).not.toContain('"b":0.5');
    expect([...segment.scores]).toEqual([0.6, 0.4, 0.5, 0.5]);
    const t = await sqlite.make();
    try {
      await new SqlServingStore(t.backend.db).insertPredictions(decodeLogSegment(segment));
      const row = (await sql<{ outputs_json: string; probabilities: Buffer; names_json: string }>`SELECT outputs_json, probabilities, names_json FROM predictions JOIN prediction_classes ON prediction_classes.id = classes_id WHERE predictions.id = 'prd_l'`.execute(t.backend.db)).rows[0]!;
      expect(row.outputs_json).toBe('{"label":"a \\"quoted\\"","fairness":{"attribute":"region","group":"EU","threshold":0.7}}');
      expect([row.probabilities.readDoubleLE(0), row.probabilities.readDoubleLE(8), row.probabilities.length]).toEqual([0.5, 0.5, 16]);
      expect(row.names_json).toBe('["a \\"quoted\\"","b"]');
      const lists = await sql<{ n: number }>`SELECT count(*) AS n FROM prediction_classes`.execute(t.backend.db);
      expect(lists.rows[0]!.n).toBe(2);
      const others = await sql<{ n: number }>`SELECT count(*) AS n FROM predictions WHERE probabilities IS NULL AND classes_id IS NULL`.execute(t.backend.db);
      expect(others.rows[0]!.n).toBe(records.length - 2);
    } finally {
      await t.cleanup();
    }
  });

  it('keeps repeated strings once, strings as UTF-8 bytes, ids with surrogates as they are, and counts per version', () => {
    const s = encode(records);
    expect(s.n).toBe(records.length);
    expect(s.shared.filter((x) => x === 'support')).toHaveLength(1);
    expect(s.shared.filter((x) => x === '2026-01-02T00:00:00.000Z')).toHaveLength(1);
    expect(Buffer.from(s.bytes).toString('utf8')).toContain('"probabilities":{"billing":0.6,"other":0.4}');
    expect(s.odd).toEqual(['req \ud83d\ude00 lone \udc00']);
    expect(s.versions).toEqual(countByVersion(records));
    expect(s.versions).toEqual([
      ['support', '1', 11],
      ['support', '2', 1],
      ['prices', '1', 1],
    ]);
  });

  it('finds ids in a sealed segment and in the builder, and starts empty after a seal', () => {
    const b = new LogSegmentBuilder();
    b.add(prediction('prd_1'));
    b.add(prediction('prd_2', { id: 'prd_\ud800' }));
    expect(b.hasId('prd_1')).toBe(true);
    expect(b.hasId('prd_\ud800')).toBe(true);
    expect(b.hasId('prd_3')).toBe(false);
    const s = b.seal();
    expect(segmentHasId(s, 'prd_1')).toBe(true);
    expect(segmentHasId(s, 'prd_')).toBe(false);
    expect(b.n).toBe(0);
    expect(b.hasId('prd_1')).toBe(false);
    b.add(prediction('prd_3', { deployment: 'other' }));
    const next = b.seal();
    expect(next.shared).not.toContain('support'.repeat(2));
    expect(decodeLogSegment(next).map((r) => [r.id, r.deployment])).toEqual([['prd_3', 'other']]);
    // The first segment is untouched by the builder's reuse.
    expect(decodeLogSegment(s).map((r) => r.id)).toEqual(['prd_1', 'prd_\ud800']);
  });

  it('grows past its first capacity (many records, long texts)', () => {
    const many = Array.from({ length: 300 }, (_, i) => prediction(`prd_${String(i).padStart(4, '0')}`, { inputs: { text: 'x'.repeat(i * 50) + 'é' } }));
    const decoded = decodeLogSegment(encode(many));
    expect(decoded.map((r) => r.id)).toEqual(many.map((r) => r.id));
    expect(decoded.map((r) => r.inputsJson)).toEqual(many.map((r) => JSON.stringify(r.inputs)));
  });

  it('seals into shared memory: a full segment takes the arrays, a small one exact copies, and later records never touch either', () => {
    const b = new LogSegmentBuilder();
    const texts = (from: number, n: number) => Array.from({ length: n }, (_, i) => prediction(`prd_${String(from + i).padStart(4, '0')}`, { inputs: { text: 'y'.repeat(600) } }));
    // Fills the first capacity (64 records) and the arena past half: the arrays are handed over.
    const full = texts(0, 64);
    for (const r of full) b.add(r);
    const big = b.seal();
    const arrays = [big.refs, big.numbers, big.flags, big.spans, big.bytes];
    for (const a of arrays) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(big.bytes.buffer.byteLength).toBeGreaterThan(big.bytes.byteLength);
    // A few records: copies of exact size.
    b.add(prediction('prd_1000'));
    const small = b.seal();
    for (const a of [small.refs, small.numbers, small.flags, small.spans, small.bytes]) {
      expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(a.buffer.byteLength).toBe(a.byteLength);
    }
    // New records go into new arrays: both sealed segments decode as they were.
    for (const r of texts(2000, 70)) b.add(r);
    expect(decodeLogSegment(big).map((r) => [r.id, r.inputsJson])).toEqual(full.map((r) => [r.id, JSON.stringify(r.inputs)]));
    expect(decodeLogSegment(small).map((r) => r.id)).toEqual(['prd_1000']);
    // Posting shares the memory: what the other side sees is the same bytes, not a copy.
    const posted = structuredClone(big);
    expect(posted.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(decodeLogSegment(posted)).toEqual(decodeLogSegment(big));
  });
});
