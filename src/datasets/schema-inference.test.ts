/** Schema inference scans only the columns whose type depends on their values, and gets the same types. */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ColumnRole } from './dataset.js';
import { DEFAULT_LIMITS, sqlString, withDuckDb } from './duckdb-session.js';
import { columnFacts, inferSchema, inferType, needsFacts, type ColumnRoles } from './schema-inference.js';

const TYPES = ['VARCHAR', 'BIGINT', 'INTEGER', 'DOUBLE', 'BOOLEAN', 'TIMESTAMP', 'DATE', 'DECIMAL(10,2)'];
const ROLES: ColumnRole[] = ['id', 'time', 'text', 'label', 'sensitive'];
const facts = fc.record({ nonNull: fc.integer({ min: 0, max: 1_000_000 }), distinct: fc.integer({ min: 0, max: 1_000_000 }), meanLength: fc.double({ min: 0, max: 500, noNaN: true }) });

describe('needsFacts', () => {
  it('is false only where inferType gives the same type whatever the facts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TYPES),
        fc.constantFrom('user_id', 'id', 'age', 'comment', 'Order-ID', 'idea'),
        fc.subarray(ROLES),
        facts,
        facts,
        (physicalType, name, roles, a, b) => {
          if (needsFacts({ name, physicalType }, roles)) return;
          expect(inferType({ name, physicalType, ...a }, roles)).toBe(inferType({ name, physicalType, ...b }, roles));
        },
      ),
    );
  });

  it('is true for text columns and id-named integers without a deciding role', () => {
    expect(needsFacts({ name: 'comment', physicalType: 'VARCHAR' }, [])).toBe(true);
    expect(needsFacts({ name: 'comment', physicalType: 'VARCHAR' }, ['sensitive'])).toBe(true);
    expect(needsFacts({ name: 'user_id', physicalType: 'BIGINT' }, [])).toBe(true);
    expect(needsFacts({ name: 'age', physicalType: 'BIGINT' }, [])).toBe(false);
    expect(needsFacts({ name: 'body', physicalType: 'VARCHAR' }, ['text'])).toBe(false);
    expect(needsFacts({ name: 'score', physicalType: 'DOUBLE' }, [])).toBe(false);
  });
});

describe('inferSchema', () => {
  it('gives every column the type the facts of all columns give, with or without roles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mloop-infer-'));
    try {
      const file = join(dir, 't.parquet');
      await withDuckDb({ ...DEFAULT_LIMITS, tempDir: dir }, async (db) => {
        await db.run(
          `COPY (SELECT i AS row_id, i % 7 AS small, i * 0.5 AS ratio, 'c' || (i % 3) AS channel, 'user' || (i % 50) AS handle, repeat('word ', 10 + i % 5) AS body, i % 2 = 0 AS flag, TIMESTAMP '2026-01-01' + INTERVAL (i) MINUTE AS at FROM range(300) t(i)) TO ${sqlString(file)} (FORMAT parquet)`,
        );
        const relation = `read_parquet(${sqlString(file)})`;
        const columns = (await db.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM ${relation}`)).map((c) => ({ name: c.column_name, physicalType: c.column_type }));
        const all = await columnFacts(db, relation, columns);
        for (const roles of [{}, { text: ['body'], id: ['row_id'], time: ['at'] }, { label: ['channel'], sensitive: ['handle'] }] as ColumnRoles[]) {
          const schema = await inferSchema(db, relation, columns, roles);
          const expected = all.map((f) => {
            const own = ROLES.filter((r) => roles[r as keyof ColumnRoles]?.includes(f.name));
            return inferType(f, own);
          });
          expect(schema.map((c) => c.type)).toEqual(expected);
        }
        expect((await inferSchema(db, relation, columns, {})).map((c) => c.type)).toEqual(['id', 'integer', 'numeric', 'categorical', 'categorical', 'text', 'boolean', 'datetime']);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
