import { describe, it, expect } from 'vitest';
import {
  generateSupportRequests,
  SUPPORT_INTENTS,
  supportRequestsToCsv,
  supportRequestsToJsonl,
  type SupportRequest,
} from './support-requests.js';

const DEFAULT_LAUNCH_MS = Date.parse('2026-05-01T00:00:00Z');
const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/;
const CARD_LIKE = /\b\d{4}(?:[ -]?\d{4}){3}\b/g;

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function cardLikeNumbers(text: string): string[] {
  return [...text.matchAll(CARD_LIKE)].map((m) => m[0].replace(/[ -]/g, ''));
}

/** A minimal RFC 4180 parser, independent of the code under test. */
function parseCsv(input: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (quoted) {
      if (ch === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && input[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else {
      field += ch;
    }
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

function share(rows: SupportRequest[], predicate: (row: SupportRequest) => boolean): number {
  return rows.filter(predicate).length / rows.length;
}

describe('generateSupportRequests', () => {
  const rows = generateSupportRequests({ count: 20_000 });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = generateSupportRequests({ seed: 7, count: 2000 });
    const b = generateSupportRequests({ seed: 7, count: 2000 });
    const c = generateSupportRequests({ seed: 8, count: 2000 });
    expect(supportRequestsToJsonl(a)).toBe(supportRequestsToJsonl(b));
    expect(supportRequestsToCsv(a)).toBe(supportRequestsToCsv(b));
    expect(a.map((r) => r.text)).not.toEqual(c.map((r) => r.text));
    expect(generateSupportRequests({ count: 50 })).toEqual(generateSupportRequests({ seed: 42, count: 50 }));
  });

  it('honours count and numbers ids in order', () => {
    expect(generateSupportRequests()).toHaveLength(5000);
    expect(generateSupportRequests({ count: 1 })).toHaveLength(1);
    const some = generateSupportRequests({ count: 123 });
    expect(some).toHaveLength(123);
    expect(some[0]?.id).toBe('req-000001');
    expect(some[122]?.id).toBe('req-000123');
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });

  it('sorts timestamps within the period', () => {
    for (const r of rows) expect(r.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const times = rows.map((r) => Date.parse(r.created_at));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number);
    expect(times[0]).toBeGreaterThanOrEqual(Date.parse('2026-01-01T00:00:00Z'));
    expect(times.at(-1)).toBeLessThan(Date.parse('2026-07-01T00:00:00Z'));

    const custom = generateSupportRequests({ count: 2000, start: '2025-03-15T00:00:00Z', months: 2 });
    const customTimes = custom.map((r) => Date.parse(r.created_at));
    expect(Math.min(...customTimes)).toBeGreaterThanOrEqual(Date.parse('2025-03-15T00:00:00Z'));
    expect(Math.max(...customTimes)).toBeLessThan(Date.parse('2025-05-15T00:00:00Z'));
  });

  it('has weekday and business-hour seasonality', () => {
    const byDay = new Array<number>(7).fill(0);
    let businessHours = 0;
    let night = 0;
    for (const r of rows) {
      const d = new Date(r.created_at);
      byDay[d.getUTCDay()]! += 1;
      const h = d.getUTCHours();
      if (h >= 9 && h < 17) businessHours++;
      if (h < 6) night++;
    }
    const weekdayMean = byDay.slice(1, 6).reduce((a, b) => a + b, 0) / 5;
    const weekendMean = (byDay[0]! + byDay[6]!) / 2;
    expect(weekdayMean).toBeGreaterThan(1.8 * weekendMean);
    expect(businessHours / 8).toBeGreaterThan(5 * (night / 6));
  });

  it('produces every intent and a realistic imbalance', () => {
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.intent, (counts.get(r.intent) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...SUPPORT_INTENTS].sort());
    expect(SUPPORT_INTENTS.length).toBeGreaterThanOrEqual(15);
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([intent]) => intent);
    expect(ranked.slice(0, 2).sort()).toEqual(['delivery_status', 'password_reset']);
    expect(counts.get('privacy_request')! / rows.length).toBeLessThan(0.02);
  });

  it('introduces device_setup and the new product only after the launch', () => {
    const before = rows.filter((r) => Date.parse(r.created_at) < DEFAULT_LAUNCH_MS);
    const after = rows.filter((r) => Date.parse(r.created_at) >= DEFAULT_LAUNCH_MS);
    expect(before.length).toBeGreaterThan(0);
    expect(before.some((r) => r.intent === 'device_setup')).toBe(false);
    expect(before.some((r) => /nimbus/i.test(r.text))).toBe(false);
    expect(share(after, (r) => r.intent === 'device_setup')).toBeGreaterThanOrEqual(0.05);
    expect(after.some((r) => r.intent !== 'device_setup' && /nimbus hub/i.test(r.text))).toBe(true);
    expect(share(after, (r) => r.channel === 'chat')).toBeGreaterThan(
      share(before, (r) => r.channel === 'chat'),
    );
  });

  it('honours a custom launch and launch: false', () => {
    const launchAt = '2026-03-01T00:00:00Z';
    const custom = generateSupportRequests({ count: 5000, launch: { at: launchAt, product: 'Orion Dock' } });
    const firstSetup = custom.find((r) => r.intent === 'device_setup');
    expect(Date.parse(firstSetup!.created_at)).toBeGreaterThanOrEqual(Date.parse(launchAt));
    expect(custom.some((r) => r.text.includes('Orion Dock'))).toBe(true);
    expect(custom.some((r) => /nimbus/i.test(r.text))).toBe(false);

    const stationary = generateSupportRequests({ count: 5000, launch: false });
    expect(stationary.some((r) => r.intent === 'device_setup' || /nimbus/i.test(r.text))).toBe(false);
  });

  it('produces varied texts', () => {
    const sample = generateSupportRequests({ count: 5000 });
    expect(new Set(sample.map((r) => r.text)).size).toBeGreaterThanOrEqual(0.8 * sample.length);
  });

  it('makes the south region noisier than the others', () => {
    const casual = (r: SupportRequest): boolean => !/[A-Z]/.test(r.text);
    const south = share(
      rows.filter((r) => r.region === 'south'),
      casual,
    );
    const others = share(
      rows.filter((r) => r.region !== 'south'),
      casual,
    );
    expect(south).toBeGreaterThan(1.5 * others);
  });
});

describe('PII ground truth', () => {
  const rows = generateSupportRequests({ count: 20_000, seed: 11 });

  it('contains PII in roughly the configured share of rows', () => {
    const rate = share(rows, (r) => r.pii.length > 0);
    expect(rate).toBeGreaterThan(0.09);
    expect(rate).toBeLessThan(0.16);
    for (const kind of ['email', 'phone', 'card', 'iban', 'ip']) {
      expect(rows.some((r) => r.pii.includes(kind as SupportRequest['pii'][number]))).toBe(true);
    }
  });

  it('lists each kind that the text contains', () => {
    for (const r of rows) {
      if (r.pii.includes('email')) expect(r.text).toMatch(EMAIL);
      else expect(r.text).not.toContain('@');
      if (r.pii.includes('card')) expect(cardLikeNumbers(r.text).some(luhnValid)).toBe(true);
      if (r.pii.includes('ip')) expect(r.text).toMatch(/\b(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}\b/);
      if (r.pii.includes('iban')) expect(r.text).toMatch(/\b(GB|DE|ES)\d{2}[ A-Z0-9]{10,}/);
      if (r.pii.includes('phone')) expect(r.text).toMatch(/555[-. ]01\d\d|7946 0\d{3}/);
      expect(new Set(r.pii).size).toBe(r.pii.length);
    }
  });

  it('includes card-like numbers failing Luhn that are not labelled card', () => {
    const decoys = rows.filter(
      (r) => !r.pii.includes('card') && cardLikeNumbers(r.text).some((n) => !luhnValid(n)),
    );
    expect(decoys.length).toBeGreaterThan(10);
    const unlabelledValid = rows.filter(
      (r) => !r.pii.includes('card') && !r.pii.includes('iban') && cardLikeNumbers(r.text).some(luhnValid),
    );
    expect(unlabelledValid).toEqual([]);
  });

  it('contains no PII at all with piiRate 0', () => {
    const clean = generateSupportRequests({ count: 3000, piiRate: 0 });
    for (const r of clean) {
      expect(r.pii).toEqual([]);
      expect(r.text).not.toContain('@');
      expect(cardLikeNumbers(r.text)).toEqual([]);
    }
  });
});

describe('serialisation', () => {
  const tricky: SupportRequest = {
    id: 'req-000001',
    created_at: '2026-01-01T09:00:00Z',
    channel: 'email',
    region: 'south',
    customer_tier: 'pro',
    text: 'Hi,\n\nI said "refund", not credit, thanks.',
    intent: 'refund_request',
    pii: ['email', 'card'],
  };

  it('writes RFC 4180 CSV', () => {
    expect(supportRequestsToCsv([tricky])).toBe(
      'id,created_at,channel,region,customer_tier,text,intent,pii\r\n' +
        'req-000001,2026-01-01T09:00:00Z,email,south,pro,"Hi,\n\nI said ""refund"", not credit, thanks.",refund_request,email;card\r\n',
    );
  });

  it('round-trips generated rows through CSV', () => {
    const sample = generateSupportRequests({ count: 3000 });
    expect(sample.some((r) => r.text.includes('\n'))).toBe(true);
    expect(sample.some((r) => r.text.includes('"'))).toBe(true);
    const [header, ...records] = parseCsv(supportRequestsToCsv([...sample, tricky]));
    expect(header).toEqual([
      'id',
      'created_at',
      'channel',
      'region',
      'customer_tier',
      'text',
      'intent',
      'pii',
    ]);
    const parsed = records.map((f) => ({
      id: f[0],
      created_at: f[1],
      channel: f[2],
      region: f[3],
      customer_tier: f[4],
      text: f[5],
      intent: f[6],
      pii: f[7] === '' ? [] : f[7]!.split(';'),
    }));
    expect(parsed).toEqual([...sample, tricky]);
  });

  it('writes one JSON object per line', () => {
    const sample = generateSupportRequests({ count: 200 });
    const lines = supportRequestsToJsonl(sample).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as SupportRequest)).toEqual(sample);
  });
});

describe('option validation', () => {
  it.each([
    { count: 0 },
    { count: 5_000_001 },
    { count: 2.5 },
    { months: 0 },
    { typoRate: -0.01 },
    { typoRate: 1.01 },
    { piiRate: Number.NaN },
    { start: 'not a date' },
    { launch: { at: 'soon' } },
    { launch: { product: '  ' } },
    { seed: 1.5 },
  ])('rejects %o with a RangeError', (options) => {
    expect(() => generateSupportRequests(options)).toThrow(RangeError);
  });

  it('accepts boundary values', () => {
    expect(generateSupportRequests({ count: 10, typoRate: 1, piiRate: 1, months: 1 })).toHaveLength(10);
    const allPii = generateSupportRequests({ count: 200, piiRate: 1, vagueRate: 0 });
    expect(allPii.every((r) => r.pii.length > 0)).toBe(true);
  });
});

describe('vague requests and label noise', () => {
  it('adds vague texts that name no topic and flips a few labels to neighbouring intents', () => {
    const clean = generateSupportRequests({ count: 3000, seed: 9, vagueRate: 0, labelNoise: 0 });
    const noisy = generateSupportRequests({ count: 3000, seed: 9, vagueRate: 0.2, labelNoise: 0.1 });
    const vague = (rows: typeof clean) => rows.filter((r) => /please call me back|nobody answered|same problem as before|speak to a human/i.test(r.text)).length;
    expect(vague(clean)).toBe(0);
    expect(vague(noisy)).toBeGreaterThan(50);
    expect(() => generateSupportRequests({ vagueRate: 1.5 })).toThrow(RangeError);
    expect(() => generateSupportRequests({ labelNoise: -0.1 })).toThrow(RangeError);
  });
});
