import { describe, expect, it } from 'vitest';
import { generateSupportRequests } from '../demo/index.js';
import { findPii, ibanValid, luhnValid, PII_PREFILTER, redactText, type PiiType } from './pii.js';

describe('PII detection', () => {
  it('checks Luhn and IBAN mod-97 against published examples', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
  });

  it.each<[string, PiiType[]]>([
    ['mail me at jane.doe+x@example.co.uk please', ['email']],
    ['card 4111 1111 1111 1111, expiry 09/28', ['card']],
    ['loyalty no. 4111-1111-1111-1112.', []],
    ['IBAN GB82 WEST 1234 5698 7654 32.', ['iban']],
    ['IBAN GB82 WEST 1234 5698 7654 33.', []],
    ['from 203.0.113.7 and 2001:db8::ff00:42:8329', ['ip', 'ip']],
    ['version 1.2.3 at 10:30:00 on 2026-01-05, 256.1.1.1', []],
    ['SSN 123-45-6789, NINO AB 12 34 56 C', ['national_id', 'national_id']],
    ['call (212) 555-0123 or +44 20 7946 0123 or 212.555.0199', ['phone', 'phone', 'phone']],
    ['order #A12345 cost $49.99 for 3 items', []],
  ])('%s', (text, kinds) => {
    expect(findPii(text).map((m) => m.kind)).toEqual(kinds);
  });

  it.each([
    ['UK mobile', '07700 900123'],
    ['UK mobile, compact', '07700900123'],
    ['UK mobile, +44', '+44 7700 900123'],
    ['UK mobile, +44 compact', '+447700900123'],
    ['UK landline, +44 (0)', '+44 (0)20 7946 0958'],
    ['UK freephone', '0800 123 4567'],
    ['US toll-free, dashes', '1-800-555-0199'],
    ['US toll-free, dots', '1.800.555.0199'],
    ['US toll-free, parentheses', '1 (800) 555-0199'],
    ['US, +1 and parentheses', '+1 (555) 123-4567'],
    ['US, dashes', '555-123-4567'],
    ['French mobile, spaces', '06 12 34 56 78'],
    ['French mobile, dots', '06.12.34.56.78'],
    ['French mobile, dashes', '06-12-34-56-78'],
    ['French mobile, +33', '+33 6 12 34 56 78'],
    ['French mobile, +33 dots', '+33.6.12.34.56.78'],
    ['German landline', '030 1234567'],
    ['German landline, parentheses', '(030) 1234567'],
    ['German landline, +49', '+49 30 123456'],
    ['German landline, +49 (area)', '+49 (30) 1234 5678'],
  ])('redacts a phone number: %s (%s)', (_, phone) => {
    const text = `call me on ${phone} today`;
    expect(findPii(text)).toEqual([{ kind: 'phone', start: 11, end: 11 + phone.length, value: phone }]);
    expect(redactText(text).text).toBe('call me on [PHONE] today');
    expect(new RegExp(PII_PREFILTER).test(text)).toBe(true);
  });

  it.each([
    'invoice 2024-0001-5678 due 2024-03-15',
    'order #A82620 was refunded',
    'order #0612345678 was refunded',
    'order 0012345 shipped',
    'meeting on 01.03.2024 10:30 or 15.03.2024',
    'we sold 100 200 3000 items at 19.99',
    'version 1.2.3.4567 of the app',
  ])('does not take a non-phone number for a phone: %s', (text) => {
    expect(findPii(text)).toEqual([]);
  });

  it('matches the generator ground truth, with Luhn-failing decoys not counted as cards', () => {
    const rows = generateSupportRequests({ seed: 7, count: 4000, piiRate: 0.3 });
    let wrong = 0;
    let decoys = 0;
    for (const r of rows) {
      const kinds = [...new Set(findPii(r.text).map((m) => m.kind))].sort();
      if (JSON.stringify(kinds) !== JSON.stringify([...r.pii].sort())) wrong += 1;
      if (/\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}/.test(r.text) && !r.pii.includes('card') && !r.pii.includes('iban')) decoys += 1;
    }
    expect(decoys).toBeGreaterThan(20);
    expect(wrong).toBe(0);
  });

  it('redacts with typed placeholders and counts', () => {
    const r = redactText('Reach me at a@example.com or (212) 555-0123; card 4242 4242 4242 4242.');
    expect(r.text).toBe('Reach me at [EMAIL] or [PHONE]; card [CARD].');
    expect(r.counts).toEqual({ email: 1, phone: 1, card: 1 });
    expect(redactText('nothing here').text).toBe('nothing here');
  });
});
