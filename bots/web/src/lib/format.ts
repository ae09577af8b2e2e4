// Numbers, times and durations as people read them, in the browser's language.

const numbers = new Intl.NumberFormat();

export function formatNumber(value: number): string {
  return numbers.format(value);
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatTime(iso: string, withDate = false): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = date.toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
  const ms = String(date.getMilliseconds()).padStart(3, '0');
  if (!withDate) return `${time}.${ms}`;
  return `${date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}.${ms}`;
}

export function formatAgo(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric' });
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  const scalar = value as string | number | boolean; // the rest of JSON
  return String(scalar);
}

/** Values from the database that are timestamps, to show them in local time. */
export function looksLikeTime(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value);
}

export const LEVEL_COLORS: Record<string, string> = {
  TRACE: '#94a3b8',
  DEBUG: '#64748b',
  INFO: '#3b82f6',
  WARN: '#f59e0b',
  ERROR: '#ef4444',
  FATAL: '#a21caf',
};

export const LEVEL_BADGES: Record<string, string> = {
  TRACE: 'bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300',
  DEBUG: 'bg-slate-200 text-slate-700 dark:bg-slate-700 dark:text-slate-200',
  INFO: 'bg-blue-100 text-blue-800 dark:bg-blue-950 dark:text-blue-300',
  WARN: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300',
  ERROR: 'bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300',
  FATAL: 'bg-fuchsia-200 text-fuchsia-900 dark:bg-fuchsia-950 dark:text-fuchsia-300',
};
