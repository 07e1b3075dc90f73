/** The DatasetStore over Kysely, shared by SQLite and PostgreSQL. */
import type { Kysely, Selectable } from 'kysely';
import { MloopError } from '../errors/index.js';
import { isUniqueViolation, newId, type DatabaseSchema, type DatasetVersionsTable } from '../storage/index.js';
import { formatRef, parseDatasetRef, type DatasetSummary, type DatasetVersion, type NewDatasetVersion } from './dataset.js';
import type { AddVersionResult, DatasetResultKind, DatasetStore, KeptDatasetResult } from './dataset-store.js';

/** How often a version number lost to a concurrent writer is re-allocated before giving up. */
const MAX_ATTEMPTS = 8;

/** A foreign-key violation in SQLite or PostgreSQL (a result of a version that does not exist). */
const isForeignKeyViolation = (err: unknown): boolean => ['23503', 'SQLITE_CONSTRAINT_FOREIGNKEY'].includes((err as { code?: string })?.code ?? '');

type VersionRow = Selectable<DatasetVersionsTable> & { name: string };

function toVersion(r: VersionRow): DatasetVersion {
  return {
    id: r.id,
    name: r.name,
    version: Number(r.version),
    ref: formatRef(r.name, Number(r.version)),
    contentHash: r.content_hash,
    blobSha256: r.blob_sha256,
    bytes: Number(r.bytes),
    rowCount: Number(r.row_count),
    schema: JSON.parse(r.schema_json) as DatasetVersion['schema'],
    source: JSON.parse(r.source_json) as DatasetVersion['source'],
    description: JSON.parse(r.description_json) as DatasetVersion['description'],
    lineage: JSON.parse(r.lineage_json) as DatasetVersion['lineage'],
    stats: JSON.parse(r.stats_json) as DatasetVersion['stats'],
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

export class SqlDatasetStore implements DatasetStore {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  private versions() {
    return this.db
      .selectFrom('dataset_versions')
      .innerJoin('datasets', 'datasets.id', 'dataset_versions.dataset_id')
      .selectAll('dataset_versions')
      .select('datasets.name as name');
  }

  async addVersion(v: NewDatasetVersion): Promise<AddVersionResult> {
    for (let attempt = 1; ; attempt++) {
      const existing = await this.findByContentHash(v.name, v.contentHash);
      if (existing) return { version: existing, created: false };
      try {
        const version = await this.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('datasets')
            .values({ id: newId('dst'), name: v.name, created_at: v.createdAt, created_by: v.createdBy })
            .onConflict((oc) => oc.column('name').doNothing())
            .execute();
          const dataset = await trx.selectFrom('datasets').select('id').where('name', '=', v.name).executeTakeFirstOrThrow();
          const parents: string[] = [];
          for (const ref of v.lineage.parents) {
            const p = parseDatasetRef(ref);
            const row = await trx
              .selectFrom('dataset_versions')
              .innerJoin('datasets', 'datasets.id', 'dataset_versions.dataset_id')
              .select('dataset_versions.id')
              .where('datasets.name', '=', p.name)
              .where('dataset_versions.version', '=', p.version ?? -1)
              .executeTakeFirst();
            if (!row) throw MloopError.notFound('dataset version', ref);
            parents.push(row.id);
          }
          const max = await trx
            .selectFrom('dataset_versions')
            .select((eb) => eb.fn.max('version').as('max'))
            .where('dataset_id', '=', dataset.id)
            .executeTakeFirst();
          const number = Number(max?.max ?? 0) + 1;
          const id = newId('dsv');
          await trx
            .insertInto('dataset_versions')
            .values({
              id,
              dataset_id: dataset.id,
              version: number,
              content_hash: v.contentHash,
              blob_sha256: v.blobSha256,
              bytes: v.bytes,
              row_count: v.rowCount,
              schema_json: JSON.stringify(v.schema),
              source_json: JSON.stringify(v.source),
              description_json: JSON.stringify(v.description),
              lineage_json: JSON.stringify(v.lineage),
              stats_json: JSON.stringify(v.stats),
              created_at: v.createdAt,
              created_by: v.createdBy,
            })
            .execute();
          for (const [position, parentId] of parents.entries()) {
            await trx.insertInto('dataset_version_parents').values({ child_id: id, parent_id: parentId, position }).execute();
          }
          return { ...v, id, version: number, ref: formatRef(v.name, number) } satisfies DatasetVersion;
        });
        return { version, created: true };
      } catch (err) {
        // Lost a race: either the same content was added (returned above on retry) or the number was taken.
        if (!isUniqueViolation(err) || attempt >= MAX_ATTEMPTS) {
          if (isUniqueViolation(err)) throw MloopError.conflict(`could not allocate a version of '${v.name}': too many concurrent writers`, { cause: err });
          throw err;
        }
      }
    }
  }

  async getVersion(name: string, version?: number): Promise<DatasetVersion | undefined> {
    let q = this.versions().where('datasets.name', '=', name);
    q = version === undefined ? q.orderBy('dataset_versions.version', 'desc').limit(1) : q.where('dataset_versions.version', '=', version);
    const r = await q.executeTakeFirst();
    return r && toVersion(r);
  }

  async findByContentHash(name: string, contentHash: string): Promise<DatasetVersion | undefined> {
    const r = await this.versions().where('datasets.name', '=', name).where('dataset_versions.content_hash', '=', contentHash).executeTakeFirst();
    return r && toVersion(r);
  }

  async listDatasets(): Promise<DatasetSummary[]> {
    const rows = await this.db
      .selectFrom('datasets')
      .innerJoin('dataset_versions', 'dataset_versions.dataset_id', 'datasets.id')
      .select((eb) => [
        'datasets.name as name',
        'datasets.created_at as created_at',
        eb.fn.count<number | string>('dataset_versions.id').as('versions'),
        eb.fn.max('dataset_versions.version').as('latest'),
        eb.fn.max('dataset_versions.created_at').as('updated_at'),
      ])
      .groupBy(['datasets.name', 'datasets.created_at'])
      .orderBy('datasets.name')
      .execute();
    const out: DatasetSummary[] = [];
    for (const r of rows) {
      const latest = await this.getVersion(r.name, Number(r.latest));
      out.push({
        name: r.name,
        versions: Number(r.versions),
        latest: Number(r.latest),
        latestRowCount: latest?.rowCount ?? 0,
        createdAt: r.created_at,
        updatedAt: String(r.updated_at),
      });
    }
    return out;
  }

  async listVersions(name: string): Promise<DatasetVersion[]> {
    const rows = await this.versions().where('datasets.name', '=', name).orderBy('dataset_versions.version').execute();
    return rows.map(toVersion);
  }

  async listChildren(ref: string): Promise<DatasetVersion[]> {
    const p = parseDatasetRef(ref);
    const parent = await this.getVersion(p.name, p.version);
    if (!parent) return [];
    const rows = await this.versions()
      .innerJoin('dataset_version_parents', 'dataset_version_parents.child_id', 'dataset_versions.id')
      .where('dataset_version_parents.parent_id', '=', parent.id)
      .orderBy('datasets.name')
      .orderBy('dataset_versions.version')
      .execute();
    return rows.map(toVersion);
  }

  async getResult(versionId: string, kind: DatasetResultKind, inputsHash: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('dataset_results')
      .select('result_json')
      .where('version_id', '=', versionId)
      .where('kind', '=', kind)
      .where('inputs_hash', '=', inputsHash)
      .executeTakeFirst();
    return r?.result_json;
  }

  async keepResult(r: KeptDatasetResult): Promise<void> {
    try {
      await this.db
        .insertInto('dataset_results')
        .values({ version_id: r.versionId, kind: r.kind, inputs_hash: r.inputsHash, inputs_json: r.inputsJson, result_json: r.resultJson, created_at: r.createdAt })
        .onConflict((oc) => oc.columns(['version_id', 'kind', 'inputs_hash']).doUpdateSet({ inputs_json: r.inputsJson, result_json: r.resultJson, created_at: r.createdAt }))
        .execute();
    } catch (err) {
      if (isForeignKeyViolation(err)) throw MloopError.notFound('dataset version', r.versionId, { cause: err });
      throw err;
    }
  }
}
