// The explorer's filters, kept in the page's URL so that a view can be shared and reloaded.

import type { Params } from './api.svelte';

export interface RangePreset {
  key: string;
  label: string;
  ms: number;
}

export const RANGES: RangePreset[] = [
  { key: '15m', label: '15 min', ms: 15 * 60_000 },
  { key: '1h', label: '1 hour', ms: 3_600_000 },
  { key: '6h', label: '6 hours', ms: 6 * 3_600_000 },
  { key: '24h', label: '24 hours', ms: 86_400_000 },
  { key: '7d', label: '7 days', ms: 7 * 86_400_000 },
  { key: '30d', label: '30 days', ms: 30 * 86_400_000 },
];

export interface Filters {
  range: string; // a preset's key, or 'custom' with from and to
  from: string;
  to: string;
  level: string[];
  service: string[];
  environment: string[];
  q: string;
  trace_id: string;
  user_id: string;
}

export const LIST_FILTERS = ['level', 'service', 'environment'] as const;
export type ListFilter = (typeof LIST_FILTERS)[number];

export function emptyFilters(): Filters {
  return { range: '24h', from: '', to: '', level: [], service: [], environment: [], q: '', trace_id: '', user_id: '' };
}

export function parseFilters(search: string): Filters {
  const params = new URLSearchParams(search);
  const filters = emptyFilters();
  const range = params.get('range');
  if (range && (range === 'custom' || RANGES.some((preset) => preset.key === range))) filters.range = range;
  for (const name of ['from', 'to', 'q', 'trace_id', 'user_id'] as const) filters[name] = params.get(name) ?? '';
  for (const name of LIST_FILTERS) filters[name] = params.getAll(name).filter(Boolean);
  if (filters.range === 'custom' && !(filters.from && filters.to)) filters.range = '24h';
  return filters;
}

export function filtersToSearch(filters: Filters): string {
  const params = new URLSearchParams();
  if (filters.range !== '24h') params.set('range', filters.range);
  if (filters.range === 'custom') {
    params.set('from', filters.from);
    params.set('to', filters.to);
  }
  for (const name of LIST_FILTERS) for (const value of filters[name]) params.append(name, value);
  for (const name of ['q', 'trace_id', 'user_id'] as const) if (filters[name]) params.set(name, filters[name]);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The time window the filters mean now. */
export function timeWindow(filters: Filters, now = Date.now()): { from: string; to: string } {
  if (filters.range === 'custom') {
    return { from: new Date(filters.from).toISOString(), to: new Date(filters.to).toISOString() };
  }
  const preset = RANGES.find((entry) => entry.key === filters.range) ?? RANGES[3]!;
  return { from: new Date(now - preset.ms).toISOString(), to: new Date(now).toISOString() };
}

/** The query parameters of the explorer's API for these filters. */
export function apiParams(filters: Filters, now = Date.now()): Params {
  return {
    ...timeWindow(filters, now),
    level: filters.level,
    service: filters.service,
    environment: filters.environment,
    q: filters.q,
    trace_id: filters.trace_id,
    user_id: filters.user_id,
  };
}

/** The live tail's filters (it has no time range: it follows now). */
export function tailFilters(filters: Filters): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name of LIST_FILTERS) if (filters[name].length) out[name] = filters[name];
  for (const name of ['q', 'trace_id', 'user_id'] as const) if (filters[name]) out[name] = filters[name];
  return out;
}
