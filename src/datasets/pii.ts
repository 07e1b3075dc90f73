/**
 * PII detection and redaction in free text: emails, phone numbers, payment cards (Luhn-checked),
 * IBANs (mod-97-checked), IPv4/IPv6 addresses and national-id-like numbers (US SSN, UK NINO).
 * Detectors run in a fixed order and each match masks its span, so an IBAN's digit groups are not
 * also a card, and a card-like number that fails Luhn is not a phone number.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The kinds of PII detected, in detection order. */
export const PII_KINDS = Object.freeze(['email', 'iban', 'card', 'national_id', 'ip', 'phone'] as const);
export type PiiType = (typeof PII_KINDS)[number];

/** The placeholder each kind is redacted to. */
export const PII_PLACEHOLDERS: Readonly<Record<PiiType, string>> = Object.freeze({
  email: '[EMAIL]',
  iban: '[IBAN]',
  card: '[CARD]',
  national_id: '[NATIONAL_ID]',
  ip: '[IP]',
  phone: '[PHONE]',
});

/** One detected value. */
export interface PiiMatch {
  kind: PiiType;
  start: number;
  end: number;
  value: string;
}

/** True when the digits pass the Luhn check. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (d < 0 || d > 9) return false;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** True when `iban` (spaces allowed) has valid ISO 13616 mod-97 check digits. */
export function ibanValid(iban: string): boolean {
  const compact = iban.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const digit of value) rest = (rest * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return rest === 1;
}

interface Detector {
  kind: PiiType;
  pattern: RegExp;
  /** Whether a candidate is real PII; candidates that fail are still masked (decoys). */
  accept?: (value: string) => boolean;
}

/**
 * Phone numbers in three shapes (separators: one space, dot or dash, or parentheses):
 * - international: `+` and a 1-3 digit country code, an optional `(0)` or `(area)`, then digit
 *   groups (`+44 7700 900123`, `+33 6 12 34 56 78`, `+49 30 123456`, `+447700900123`);
 * - national with a trunk `0`: `07700 900123`, `06 12 34 56 78`, `030 1234567`, `(030) 1234567`,
 *   `07700900123`, one separator kind throughout, so `01.03.2024 10:30` is not one number;
 * - North American 3-3-4 with an optional leading `1`: `1-800-555-0199`, `(212) 555-0123`.
 * Not preceded by a word character, `#`, `.`, `+` or `-`, so `#0612345678`, `A82620` and the tail
 * of `2024-0001-5678` are not phones. Between two digits there are at most two of ` .()-`, which
 * keeps {@link PII_PREFILTER} complete.
 */
function phonePattern(): RegExp {
  const s = '[ .-]';
  const international = `\\+\\d{1,3}(?:${s}?\\(0\\)${s}?|${s}?\\(\\d{1,4}\\)${s}?|${s})?\\d{1,12}(?:${s}\\d{2,10}){0,6}`;
  const national =
    `\\(0[1-9]\\d{0,3}\\)${s}?\\d{2,8}(?:${s}\\d{2,8}){0,3}` +
    `|0[1-9]\\d{0,4}(?<sep>[ .-])\\d{2,8}(?:\\k<sep>\\d{2,8}){0,4}` +
    `|0[1-9]\\d{8,10}`;
  const northAmerican = `(?:1${s}?)?(?:\\([2-9]\\d\\d\\)${s}?|[2-9]\\d\\d${s})\\d{3}${s}\\d{4}`;
  return new RegExp(`(?<![\\w.+#-])(?:${international}|${northAmerican}|${national})(?![\\w-]|\\.\\w)`, 'g');
}

/** A phone candidate's digit count: 8-15 with a `+` country code (E.164), else 9-12. */
function phoneDigitsPlausible(value: string): boolean {
  let digits = 0;
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 48 && value.charCodeAt(i) <= 57) digits++;
  return value.startsWith('+') ? digits >= 8 && digits <= 15 : digits >= 9 && digits <= 12;
}

const D = '(?<![\\w.+-])';
const E = '(?![\\w-]|\\.\\w)';
const DETECTORS: readonly Detector[] = [
  { kind: 'email', pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g },
  { kind: 'iban', pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g, accept: ibanValid },
  { kind: 'card', pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g, accept: (v) => luhnValid(v.replace(/\D/g, '')) },
  { kind: 'national_id', pattern: new RegExp(`${D}(?:(?!000|666|9\\d\\d)\\d{3}-(?!00)\\d{2}-(?!0000)\\d{4}|[A-CEGHJ-PR-TW-Z]{2} ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D])${E}`, 'g') },
  { kind: 'ip', pattern: /(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}|(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})(?![\w:]|\.\d)/g, accept: (v) => isIPv4(v) || (isIPv6(v) && /[0-9A-Fa-f]{1,4}/.test(v) && v.length >= 6) },
  { kind: 'phone', pattern: phonePattern(), accept: phoneDigitsPlausible },
];

/** Every PII value in `text`, in order of position. */
export function findPii(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  let masked = text;
  for (const d of DETECTORS) {
    for (const m of masked.matchAll(d.pattern)) {
      const start = m.index;
      const value = text.slice(start, start + m[0].length);
      const end = start + value.length;
      if (d.accept === undefined || d.accept(value)) found.push({ kind: d.kind, start, end, value });
      // Mask accepted and rejected candidates alike: a failed card is not a phone number either.
      masked = masked.slice(0, start) + '\u0000'.repeat(value.length) + masked.slice(end);
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** `text` with each PII value replaced by its typed placeholder, and the counts by kind. */
export function redactText(text: string): { text: string; counts: Partial<Record<PiiType, number>> } {
  const matches = findPii(text);
  const counts: Partial<Record<PiiType, number>> = {};
  let out = '';
  let at = 0;
  for (const m of matches) {
    out += text.slice(at, m.start) + PII_PLACEHOLDERS[m.kind];
    at = m.end;
    counts[m.kind] = (counts[m.kind] ?? 0) + 1;
  }
  return { text: out + text.slice(at), counts };
}

/**
 * A cheap prefilter (SQL `regexp_matches`, RE2) that every text containing PII matches: an `@`,
 * three digits with at most two of ` .()-` between each (every card, IBAN, IPv4, id and phone,
 * e.g. `6 12 34`, `(0)20`), or two IPv6 colons.
 */
export const PII_PREFILTER = '@|\\d(?:[ .()-]{0,2}\\d){2}|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{0,4}:';
