/** Jobs: the durable queue (with leases and fencing tokens), job logs, and cron schedules. */
import type { Kysely } from 'kysely';
import type { BackendCapabilities } from '../capabilities.js';
import type { MigrationSpec } from '../migration.js';

export const jobs: MigrationSpec = {
  name: '0007_jobs',
  description: 'durable jobs with leases, job logs, cron schedules',
  async up(db: Kysely<unknown>, caps: BackendCapabilities) {
    await db.schema
      .createTable('jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      // The natural key: enqueueing the same key twice gives one job.
      .addColumn('job_key', 'text', (c) => c.notNull().unique())
      .addColumn('payload_json', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('backoff_ms', 'integer', (c) => c.notNull())
      .addColumn('run_at', 'text', (c) => c.notNull())
      .addColumn('lease_token', 'text')
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', 'text')
      .addColumn('cancel_requested', 'integer', (c) => c.notNull())
      .addColumn('progress_json', 'text')
      .addColumn('result_json', 'text')
      .addColumn('error_json', 'text')
      .addColumn('schedule', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .execute();
    await db.schema.createIndex('jobs_ready').on('jobs').columns(['state', 'run_at', 'priority']).execute();
    await db.schema.createIndex('jobs_lease').on('jobs').columns(['state', 'lease_expires_at']).execute();
    await db.schema.createIndex('jobs_created').on('jobs').columns(['created_at']).execute();
    await db.schema
      .createTable('job_logs')
      .addColumn('seq', 'integer', (c) =>
        caps.autoIncrementPrimaryKey === 'identity' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement(),
      )
      .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('level', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('job_logs_job').on('job_logs').columns(['job_id', 'seq']).execute();
    await db.schema
      .createTable('job_schedules')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('cron', 'text', (c) => c.notNull())
      .addColumn('timezone', 'text', (c) => c.notNull())
      .addColumn('job_type', 'text', (c) => c.notNull())
      .addColumn('payload_json', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('last_slot', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
  },
};
