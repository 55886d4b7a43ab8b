import { describe, expect, it } from 'vitest';
import { toClickHouseTime } from './time.js';

describe('toClickHouseTime', () => {
  it.each([
    ['2024-01-01T00:00:00.000000Z', '2024-01-01 00:00:00.000'],
    ['2025-06-03T15:10:40.123456Z', '2025-06-03 15:10:40.123'],
    ['2025-06-03T15:10:40Z', '2025-06-03 15:10:40.000'],
    ['2025-06-03T15:10:40.5+02:00', '2025-06-03 13:10:40.500'],
    ['2025-12-31T23:30:00-06:00', '2026-01-01 05:30:00.000'],
    ['2025-06-03T15:10:40.999999999+0000', '2025-06-03 15:10:40.999'],
  ])('%s → %s', (input, output) => {
    expect(toClickHouseTime(input)).toBe(output);
  });

  it.each(['2025-06-03', '2025-06-03T15:10:40', 'yesterday', '2025-13-03T15:10:40Z'])('refuses %s', (input) => {
    expect(() => toClickHouseTime(input)).toThrow(RangeError);
  });
});
