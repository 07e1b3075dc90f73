/** Property tests: names never carry paths, refs round-trip, redaction is idempotent and complete. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertDatasetName, formatRef, parseDatasetRef } from './dataset.js';
import { findPii, luhnValid, redactText } from './pii.js';

describe('dataset names and references', () => {
  it('never accept a name containing a path separator, "..", NUL or a leading dot', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (name) => {
        let ok = true;
        try {
          assertDatasetName(name);
        } catch {
          ok = false;
        }
        if (ok) {
          expect(name).not.toMatch(/[/\\\0]|\.\.|^\./);
          expect(name.length).toBeGreaterThan(0);
          expect(name.length).toBeLessThanOrEqual(63);
        }
      }),
    );
  });

  it('round-trip name@N', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/), fc.integer({ min: 1, max: 99_999_999 }), (name, n) => {
        expect(parseDatasetRef(formatRef(name, n))).toEqual({ name, version: n });
      }),
    );
  });
});

describe('PII redaction', () => {
  const card = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 15, maxLength: 15 }).map((d) => {
    const payload = d.join('');
    for (let c = 0; c <= 9; c++) if (luhnValid(payload + c)) return payload + c;
    return payload + '0';
  });
  const email = fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.constantFrom('example.com', 'example.org')).map(([u, d]) => `${u}@${d}`);
  const filler = fc.stringMatching(/^[A-Za-z ,]{0,30}$/);

  it('leaves no PII behind and is idempotent', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(filler, fc.oneof(card, email)), { maxLength: 5 }), filler, (parts, tail) => {
        const text = parts.map(([f, v]) => `${f} ${v} `).join('') + tail;
        const once = redactText(text);
        expect(findPii(once.text)).toEqual([]);
        expect(redactText(once.text).text).toBe(once.text);
        expect(Object.values(once.counts).reduce((a, b) => a + (b ?? 0), 0)).toBe(parts.length);
      }),
    );
  });
});
