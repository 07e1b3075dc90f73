/** Property tests: names never carry paths, refs round-trip, redaction is idempotent and complete, the prefilter misses no PII. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertDatasetName, formatRef, parseDatasetRef } from './dataset.js';
import { findPii, luhnValid, PII_PREFILTER, redactText } from './pii.js';

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

  const digits = (n: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^\\d{${n}}$`));
  const sep = fc.constantFrom(' ', '.', '-');
  const phone = fc.oneof(
    // UK mobile, national or +44, grouped or compact.
    fc.tuple(digits(3), digits(6), fc.constantFrom('07', '+44 7', '+447'), fc.constantFrom(' ', '')).map(([a, b, p, s]) => `${p}${a}${s}${b}`),
    // North American 3-3-4 with an optional leading 1.
    fc.tuple(fc.constantFrom('', '1-', '1 ', '+1 '), fc.integer({ min: 200, max: 999 }), digits(3), digits(4), sep).map(([p, a, b, c, s]) => `${p}${a}${s}${b}${s}${c}`),
    fc.tuple(fc.integer({ min: 200, max: 999 }), digits(3), digits(4)).map(([a, b, c]) => `(${a}) ${b}-${c}`),
    // French: 0X XX XX XX XX or +33 X XX XX XX XX, one separator kind.
    fc.tuple(fc.integer({ min: 1, max: 9 }), fc.array(digits(2), { minLength: 4, maxLength: 4 }), sep, fc.boolean()).map(
      ([d, g, s, intl]) => `${intl ? `+33${s}` : '0'}${d}${s}${g.join(s)}`,
    ),
    // German: area code and subscriber number, national, parenthesised or +49.
    fc.tuple(fc.integer({ min: 30, max: 89 }), digits(7), fc.constantFrom('0%a ', '(0%a) ', '+49 %a ', '+49 (0)%a ')).map(([a, n, f]) => f.replace('%a', String(a)) + n),
  );

  it('finds every generated phone number, and the SQL prefilter keeps its text', () => {
    fc.assert(
      fc.property(filler, phone, filler, (head, p, tail) => {
        const text = `${head} ${p} ${tail}`;
        expect(findPii(text)).toEqual([{ kind: 'phone', start: head.length + 1, end: head.length + 1 + p.length, value: p }]);
        expect(redactText(text).text).toBe(`${head} [PHONE] ${tail}`);
        expect(new RegExp(PII_PREFILTER).test(text)).toBe(true);
      }),
    );
  });

  it('keeps in the SQL prefilter every text in which PII is found', () => {
    const chars = fc.constantFrom(...'0123456789012345678901234567890123456789  ..--()+#:@aZ'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 40 }).map((c) => c.join('')), (text) => {
        if (findPii(text).length > 0) expect(new RegExp(PII_PREFILTER).test(text)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
