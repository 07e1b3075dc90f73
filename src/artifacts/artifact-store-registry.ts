/** Opening an artifact store from a URL: one table maps each URI scheme to its backend. */
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MloopError } from '../errors/index.js';
import type { ArtifactStore } from './artifact-store.js';
import { LocalArtifactStore } from './local-artifact-store.js';

interface Backend {
  /** One line for error messages and docs. */
  readonly description: string;
  /** `raw` is the URL as given, for checks that parsing would normalise away. */
  readonly open: (url: URL, raw: string) => ArtifactStore;
}

/** Every backend, by URI scheme (with its colon, as `URL.protocol` spells it). A new backend is one new row. */
const BACKENDS: Readonly<Record<string, Backend>> = Object.freeze({
  'file:': {
    description: 'a folder on this machine, as file:///abs/path (or just /abs/path)',
    open: (url, raw) => new LocalArtifactStore(filePath(url, raw)),
  },
});

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * Opens the artifact store that `url` names, choosing the backend by its scheme: `file:` URLs and
 * plain absolute paths open a {@link LocalArtifactStore}. Nothing is created or contacted yet.
 * INVALID_ARGUMENT for relative paths, malformed URLs and unknown schemes (the message lists the
 * known ones).
 */
export function openArtifactStore(url: string): ArtifactStore {
  if (typeof url !== 'string' || url.trim() === '') {
    throw MloopError.invalidArgument('artifact store location is empty', { hint: knownSchemesHint() });
  }
  // Checked before the scheme so that Windows paths such as C:\data are not taken for a `c:` scheme.
  if (isAbsolute(url)) return new LocalArtifactStore(url);
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw MloopError.invalidArgument(`artifact store location '${url}' is neither an absolute path nor a URL`, {
      hint: knownSchemesHint(),
    });
  }
  const backend = BACKENDS[`${scheme}:`];
  if (backend === undefined) {
    // Only the scheme is echoed: the rest of the URL may hold credentials.
    throw MloopError.invalidArgument(
      `unknown artifact store scheme '${scheme}:'; known schemes: ${Object.keys(BACKENDS).join(', ')}`,
      { details: { scheme: `${scheme}:`, knownSchemes: Object.keys(BACKENDS) }, hint: knownSchemesHint() },
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw MloopError.invalidArgument(`artifact store URL for scheme '${scheme}:' is malformed`, {
      cause: error,
      hint: knownSchemesHint(),
    });
  }
  return backend.open(parsed, url);
}

function filePath(url: URL, raw: string): string {
  // `file:data` would parse as `/data`; a relative path has no meaning here.
  if (!/^file:\//i.test(raw)) {
    throw MloopError.invalidArgument(`file URL '${raw}' is not absolute`, { hint: 'use file:///absolute/path' });
  }
  try {
    return fileURLToPath(url);
  } catch (error) {
    throw MloopError.invalidArgument(`file URL '${url.href}' does not name a local folder`, {
      cause: error,
      hint: 'use file:///absolute/path',
    });
  }
}

function knownSchemesHint(): string {
  return `known schemes: ${Object.entries(BACKENDS)
    .map(([scheme, backend]) => `${scheme} ${backend.description}`)
    .join('; ')}`;
}
