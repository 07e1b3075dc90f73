/** Chooses a backend by the URI scheme of the database URL, from one table. */
import { MloopError } from '../errors/index.js';
import type { OpenBackendOptions, StorageBackend } from './backend.js';
import { openPostgresBackend } from './postgres-backend.js';
import { openSqliteBackend } from './sqlite-backend.js';

type Opener = (url: string, options: OpenBackendOptions) => Promise<StorageBackend>;

const BACKENDS: Readonly<Record<string, Opener>> = Object.freeze({
  'sqlite:': (url, options) => openSqliteBackend(url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''), options),
  'postgres:': openPostgresBackend,
  'postgresql:': openPostgresBackend,
});

/** The URI schemes `openBackend` accepts. */
export const KNOWN_SCHEMES = Object.freeze(Object.keys(BACKENDS));

/**
 * Opens the metadata-store backend named by `url`'s scheme.
 *
 * @example
 * const backend = await openBackend('sqlite:/srv/ws/.mloop/mloop.db', { busyTimeoutMs: 5000, poolSize: 10, connectTimeoutMs: 5000 });
 */
export async function openBackend(url: string, options: OpenBackendOptions): Promise<StorageBackend> {
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0]?.toLowerCase();
  const opener = scheme === undefined ? undefined : BACKENDS[scheme];
  if (!opener) {
    throw MloopError.invalidArgument(
      `unsupported database URL scheme '${scheme ?? url.split(':')[0] ?? ''}'; known schemes: ${KNOWN_SCHEMES.join(', ')}`,
      { details: { setting: 'database.url', known: KNOWN_SCHEMES } },
    );
  }
  return opener(url, options);
}
