/** Small helpers shared by every SQL store implementation. */
import { randomBytes } from 'node:crypto';

/** True when `err` is a unique-constraint violation in SQLite or PostgreSQL. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** The current time as the ISO-8601 UTC text every table stores. */
export function nowIso(clock: () => Date = () => new Date()): string {
  return clock().toISOString();
}

/** A random, URL-safe, prefixed identifier such as `usr_3J9d…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}
