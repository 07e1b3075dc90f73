/** The prediction log's read-only aggregates (prediction-stats.ts) as Kysely SQL. */
import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from '../storage/index.js';
import type { DayStats, DecisionRow, DecisionsFilter, ModelTraffic } from './prediction-stats.js';

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Latest ground-truth label per prediction (latest wins, as everywhere else). */
function latestTruth(db: Kysely<DatabaseSchema>) {
  const newest = db.selectFrom('ground_truth').select(['prediction_id', (eb) => eb.fn.max('seq').as('m')]).groupBy('prediction_id');
  return db
    .selectFrom('ground_truth as g')
    .innerJoin(newest.as('x'), (j) => j.onRef('x.prediction_id', '=', 'g.prediction_id').onRef('x.m', '=', 'g.seq'))
    .select(['g.prediction_id', 'g.label']);
}

/** The prediction-log aggregates over Kysely, the same SQL on SQLite and PostgreSQL (used by SqlServingStore). */
export class SqlPredictionStats {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  /** The newest prediction's time (ISO), or null when the log is empty. */
  async latestAt(): Promise<string | null> {
    const r = await this.db.selectFrom('predictions').select((eb) => eb.fn.max('at').as('m')).executeTakeFirst();
    return (r?.m as string | null | undefined) ?? null;
  }

  /** Totals per model over primary predictions at or after `since` (ISO), with realized accuracy. */
  async trafficByModel(since: string): Promise<Map<string, ModelTraffic>> {
    const rows = await this.db
      .selectFrom('predictions as p')
      .leftJoin(latestTruth(this.db).as('t'), 't.prediction_id', 'p.id')
      .where('p.role', '=', 'primary')
      .where('p.at', '>=', since)
      .select([
        'p.model',
        (eb) => eb.fn.countAll<number>().as('n'),
        (eb) => eb.fn.sum<number>(eb.case().when('p.decision', '=', 'auto').then(1).else(0).end()).as('auto'),
        (eb) => eb.fn.max('p.at').as('last_at'),
        (eb) => eb.fn.avg<number>('p.confidence').as('mean_conf'),
        (eb) => eb.fn.count<number>('t.label').as('labelled'),
        (eb) => eb.fn.sum<number>(eb.case().when('t.label', '=', eb.ref('p.label')).then(1).else(0).end()).as('correct'),
        (eb) => eb.fn.max(eb.case().when('t.label', 'is not', null).then(eb.ref('p.at')).end()).as('labelled_through'),
      ])
      .groupBy('p.model')
      .execute();
    const out = new Map<string, ModelTraffic>();
    for (const r of rows) {
      const n = num(r.n);
      out.set(r.model, {
        predictions: n,
        auto: num(r.auto),
        review: n - num(r.auto),
        lastAt: (r.last_at as string | null) ?? null,
        meanConfidence: r.mean_conf === null ? null : Number(r.mean_conf),
        labelled: num(r.labelled),
        correct: num(r.correct),
        labelledThrough: (r.labelled_through as string | null) ?? null,
      });
    }
    return out;
  }

  /** Per-day traffic, decisions, latency percentiles, realized accuracy and shadow agreement of a model. */
  async days(model: string, options: { since?: string; maxRows?: number } = {}): Promise<DayStats[]> {
    const since = options.since ?? '0000';
    const rows = await this.db
      .selectFrom('predictions as p')
      .leftJoin(latestTruth(this.db).as('t'), 't.prediction_id', 'p.id')
      .leftJoin('predictions as m', 'm.id', 'p.primary_id')
      .where('p.model', '=', model)
      .where('p.at', '>=', since)
      .select(['p.at', 'p.role', 'p.decision', 'p.latency_ms', 'p.label', 't.label as truth', 'm.label as primary_label'])
      .orderBy('p.at', 'desc')
      .limit(options.maxRows ?? 200_000)
      .execute();
    const byDay = new Map<string, { s: DayStats; lat: number[] }>();
    for (const r of rows) {
      const day = r.at.slice(0, 10);
      let d = byDay.get(day);
      if (!d) {
        d = { s: { day, predictions: 0, auto: 0, review: 0, latency: { p50: 0, p95: 0, p99: 0 }, labelled: 0, correct: 0, shadow: 0, shadowAgree: 0 }, lat: [] };
        byDay.set(day, d);
      }
      if (r.role === 'shadow') {
        d.s.shadow++;
        if (r.primary_label !== null && r.primary_label === r.label) d.s.shadowAgree++;
        continue;
      }
      d.s.predictions++;
      if (r.decision === 'auto') d.s.auto++;
      else d.s.review++;
      d.lat.push(Number(r.latency_ms));
      if (r.truth !== null) {
        d.s.labelled++;
        if (r.truth === r.label) d.s.correct++;
      }
    }
    return [...byDay.values()]
      .map(({ s, lat }) => {
        lat.sort((a, b) => a - b);
        return { ...s, latency: { p50: quantile(lat, 0.5), p95: quantile(lat, 0.95), p99: quantile(lat, 0.99) } };
      })
      .sort((a, b) => a.day.localeCompare(b.day));
  }

  /** One page of logged predictions, sorted on the server. */
  async decisions(filter: DecisionsFilter): Promise<{ total: number; rows: DecisionRow[] }> {
    let base = this.db.selectFrom('predictions as p').where('p.model', '=', filter.model);
    if (filter.decision) base = base.where('p.decision', '=', filter.decision);
    const total = num((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n);
    const rows = await base
      .leftJoin(latestTruth(this.db).as('t'), 't.prediction_id', 'p.id')
      .select(['p.id', 'p.at', 'p.deployment', 'p.version', 'p.role', 'p.label', 'p.confidence', 'p.decision', 'p.latency_ms', 't.label as truth'])
      .orderBy(sql.ref(`p.${filter.sort}`), filter.order)
      .orderBy('p.id', filter.order)
      .offset(filter.offset)
      .limit(filter.limit)
      .execute();
    return {
      total,
      rows: rows.map((r) => ({
        id: r.id,
        at: r.at,
        deployment: r.deployment,
        version: Number(r.version),
        role: r.role,
        label: r.label,
        confidence: r.confidence === null ? null : Number(r.confidence),
        decision: r.decision,
        latencyMs: Number(r.latency_ms),
        truth: r.truth ?? null,
      })),
    };
  }
}
