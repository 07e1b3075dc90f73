/** The one gate every filesystem path built from a root and names passes through. */
import { lstatSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { MloopError } from '../errors/index.js';

/**
 * Resolves `segments` under `root` and returns the absolute path, or throws INVALID_ARGUMENT
 * when the result could leave `root`.
 *
 * Each segment may hold several names separated by `/` (`'runs/7/model.onnx'`). Rejected:
 * empty segments or names (`''`, `'a//b'`), `.` and `..` names, absolute segments, NUL bytes,
 * backslashes, and — for the part of the path that exists — symlinks whose real path is outside
 * the real path of `root` (dangling symlinks and symlink loops too). With no segments the result
 * is `root` itself.
 *
 * The symlink check is a point-in-time check: it cannot stop someone with write access to the
 * root from swapping a folder for a symlink afterwards.
 */
export function containedPath(root: string, ...segments: string[]): string {
  const base = resolve(root);
  segments.forEach(checkSegment);
  const target = resolve(base, ...segments);
  if (!isInside(base, target)) reject(segments, 'resolves outside the root');
  checkSymlinks(base, target, segments);
  return target;
}

function checkSegment(segment: string, _index: number, segments: string[]): void {
  if (typeof segment !== 'string') reject(segments, 'is not a string');
  if (segment.includes('\0')) reject(segments, 'contains a NUL byte');
  if (segment.includes('\\')) reject(segments, 'contains a backslash');
  if (isAbsolute(segment)) reject(segments, 'is absolute');
  for (const name of segment.split('/')) {
    if (name === '') reject(segments, 'has an empty name');
    if (name === '.' || name === '..') reject(segments, `contains '${name}'`);
  }
}

/** Walks up from `target` to the deepest part that exists and checks where it really points. */
function checkSymlinks(base: string, target: string, segments: string[]): void {
  let existing = target;
  while (!exists(existing, segments)) {
    // Nothing under a missing root can exist, so there is nothing to follow.
    if (existing === base) return;
    existing = dirname(existing);
  }
  const realBase = realpath(base, segments);
  if (!isInside(realBase, realpath(existing, segments))) reject(segments, 'leads outside the root through a symlink');
}

function exists(path: string, segments: string[]): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw MloopError.unavailable(`cannot inspect path '${segments.join('/')}'`, { cause: error, details: { code } });
  }
}

function realpath(path: string, segments: string[]): string {
  try {
    return realpathSync(path);
  } catch (error) {
    const code = errorCode(error);
    // Reached only through an lstat that succeeded, so ENOENT means a dangling symlink.
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') {
      reject(segments, 'goes through a symlink that cannot be resolved', error);
    }
    throw MloopError.unavailable(`cannot resolve path '${segments.join('/')}'`, { cause: error, details: { code } });
  }
}

function isInside(base: string, path: string): boolean {
  const rel = relative(base, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function reject(segments: string[], reason: string, cause?: unknown): never {
  throw MloopError.invalidArgument(`path ${JSON.stringify(segments.join('/'))} ${reason}`, {
    details: { segments: [...segments], reason },
    hint: 'use plain relative names without "..", absolute paths, backslashes or links that leave the folder',
    cause,
  });
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
