import { describe, expect, it } from 'vitest';
import { apiParams, filtersToSearch, parseFilters, tailFilters } from './filters';

describe('explorer filters in the URL', () => {
  it('round-trip', () => {
    const search = '?range=1h&level=ERROR&level=FATAL&service=payment-api&q=%ED%83%80%EC%9E%84%EC%95%84%EC%9B%83';
    const filters = parseFilters(search);
    expect(filters.level).toEqual(['ERROR', 'FATAL']);
    expect(filters.q).toBe('타임아웃');
    expect(parseFilters(filtersToSearch(filters))).toEqual(filters);
  });

  it('turn a preset into a window ending now', () => {
    const now = Date.parse('2025-03-01T12:00:00Z');
    const params = apiParams(parseFilters('?range=15m&trace_id=abc'), now);
    expect(params.from).toBe('2025-03-01T11:45:00.000Z');
    expect(params.to).toBe('2025-03-01T12:00:00.000Z');
    expect(params.trace_id).toBe('abc');
  });

  it('fall back to 24 hours when a custom range is incomplete or unknown', () => {
    expect(parseFilters('?range=custom&from=2025-01-01T00:00').range).toBe('24h');
    expect(parseFilters('?range=forever').range).toBe('24h');
  });

  it('give the tail only what it filters on', () => {
    expect(tailFilters(parseFilters('?range=1h&level=WARN&user_id=u1'))).toEqual({ level: ['WARN'], user_id: 'u1' });
  });
});
