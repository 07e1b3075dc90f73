/** Monitoring entities: the ISO 8601 times of report ranges, normalised to the log's UTC form. */
import { describe, expect, it } from 'vitest';
import { parseInstant } from './index.js';

describe('parseInstant', () => {
  it('normalises dates and times with any offset to the UTC instant the log stores', () => {
    expect(parseInstant('2026-11-27T08:00:00+02:00', '--since')).toBe('2026-11-27T06:00:00.000Z');
    expect(parseInstant('2026-11-27T08:00:00-0530', '--since')).toBe('2026-11-27T13:30:00.000Z');
    expect(parseInstant('2026-11-27T06:00:00.5Z', '--since')).toBe('2026-11-27T06:00:00.500Z');
    expect(parseInstant('2026-11-27T06:00:00.123456789Z', '--since')).toBe('2026-11-27T06:00:00.123Z');
    expect(parseInstant('2026-11-27', '--since')).toBe('2026-11-27T00:00:00.000Z');
    expect(parseInstant('2026-11-27 08:30', '--since')).toBe('2026-11-27T08:30:00.000Z'); // no offset: UTC
    expect(parseInstant('2026-01-01T01:00+02:00', '--since')).toBe('2025-12-31T23:00:00.000Z');
    expect(parseInstant('2024-02-29', '--since')).toBe('2024-02-29T00:00:00.000Z');
    // Normalised output parses to itself.
    expect(parseInstant('2026-11-27T06:00:00.000Z', 'x')).toBe('2026-11-27T06:00:00.000Z');
  });

  it('refuses anything else with INVALID_ARGUMENT naming the field', () => {
    for (const bad of ['yesterday', 'garbage', '', '2026-11-27T', '2026-11-27T8:00', '2026-13-01', '2026-02-30', '2025-02-29', '2026-11-27T24:00', '2026-11-27T23:60', '2026-11-27T08:00+25:00', '1795759200000', '27/11/2026']) {
      expect(() => parseInstant(bad, '--until')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: `--until: '${bad}' is not an ISO 8601 date or time` }));
    }
  });
});
