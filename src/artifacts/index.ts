/**
 * Artifacts: a content-addressed (sha256) blob store behind one small interface, a local
 * filesystem backend, and the path-containment gate for any user-supplied name.
 */
export type { ArtifactStore, BlobInfo, BlobSource, PutStreamOptions } from './artifact-store.js';
export { isSha256, assertSha256 } from './artifact-store.js';
export { LocalArtifactStore } from './local-artifact-store.js';
export { openArtifactStore } from './artifact-store-registry.js';
export { containedPath } from './path-containment.js';
export { writeFileAtomic } from './write-file-atomic.js';
