/**
 * Architecture rules, checked on every test run:
 * - a concept folder imports another concept only through that folder's index.ts;
 * - test support code (test-support/) is imported only by tests and other test support.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Violations of the folder rules in one file's source. */
export function violations(file: string, source: string): string[] {
  const out: string[] = [];
  const from = relative(SRC, file).split(sep);
  const isTest = file.endsWith('.test.ts') || from.includes('test-support');
  for (const m of source.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec || !spec.startsWith('.')) continue;
    const target = relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))).split(sep);
    if (target[0] === '..') {
      out.push(`${relative(SRC, file)} imports ${spec}, outside src/`);
      continue;
    }
    if (target.includes('test-support') && !isTest) out.push(`${relative(SRC, file)} imports test support ${spec}`);
    if (from.length < 2 || target.length < 2 || from[0] === target[0]) continue;
    const isIndex = target.length === 2 && target[1] === 'index.ts';
    if (!isIndex && !(isTest && target.includes('test-support'))) {
      out.push(`${relative(SRC, file)} imports ${spec}: use src/${target[0]}/index.ts`);
    }
  }
  return out;
}

describe('architecture', () => {
  it('concepts import each other only through index.ts', () => {
    const all = walk(SRC).flatMap((f) => violations(f, readFileSync(f, 'utf8')));
    expect(all).toEqual([]);
  });

  it('the rule catches a deep import and test support in production code', () => {
    const file = join(SRC, 'serving', 'serving.ts');
    expect(violations(file, "import { x } from '../registry/registry-store.js';")).toHaveLength(1);
    expect(violations(file, "import { x } from '../registry/index.js';")).toEqual([]);
    expect(violations(file, "import type { X } from './local.js';")).toEqual([]);
    expect(violations(file, "import { b } from '../storage/test-support/backends.js';")).toHaveLength(2);
    expect(violations(join(SRC, 'serving', 'serving.test.ts'), "import { b } from '../storage/test-support/backends.js';")).toEqual([]);
  });

  it('every concept folder has an index.ts', () => {
    const required = ['datasets', 'labeling', 'training', 'evaluation', 'registry', 'serving', 'monitoring', 'jobs', 'storage', 'artifacts', 'config', 'errors', 'cli', 'server'];
    for (const dir of required) expect(statSync(join(SRC, dir, 'index.ts')).isFile(), dir).toBe(true);
  });
});
