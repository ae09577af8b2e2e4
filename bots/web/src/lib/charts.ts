import type { ChartSpec, Row } from './types';
import { cellText, formatTime, LEVEL_COLORS, looksLikeTime } from './format';
import type { Volume } from './types';

export type EChartsModule = typeof import('./echarts');
let loading: Promise<EChartsModule> | null = null;

/** The charting library, fetched the first time a chart is drawn. */
export function loadECharts(): Promise<EChartsModule> {
  loading ??= import('./echarts');
  return loading;
}

// Options are plain objects; ECharts' own option type is large and its chunk is loaded lazily.
export type ChartOption = Record<string, unknown>;

const PALETTE = ['#6366f1', '#14b8a6', '#f59e0b', '#ef4444', '#8b5cf6', '#0ea5e9', '#84cc16', '#ec4899'];

function axisColors(dark: boolean): { text: string; line: string } {
  return dark ? { text: '#cbd5e1', line: '#334155' } : { text: '#475569', line: '#e2e8f0' };
}

/** The answer's suggested chart: a line over time, or bars per category. */
export function answerOption(spec: ChartSpec, columns: string[], rows: Row[], dark: boolean): ChartOption | null {
  const x = spec.x ?? columns[0];
  const ys = (spec.y && spec.y.length > 0 ? spec.y : columns.filter((column) => column !== x)).filter((column) =>
    rows.some((row) => typeof row[column] === 'number'),
  );
  if (!x || ys.length === 0 || rows.length === 0) return null;
  const line = spec.type === 'line';
  const ordered = line ? [...rows].sort((a, b) => cellText(a[x]).localeCompare(cellText(b[x]))) : rows;
  const labels = ordered.map((row) => {
    const value = row[x];
    return looksLikeTime(value) ? formatTime(value, true).slice(0, -4) : cellText(value);
  });
  const { text, line: grid } = axisColors(dark);
  return {
    color: PALETTE,
    animationDuration: 300,
    grid: { left: 8, right: 16, top: ys.length > 1 ? 32 : 12, bottom: 8, containLabel: true },
    legend: ys.length > 1 ? { top: 0, textStyle: { color: text } } : undefined,
    tooltip: { trigger: 'axis' },
    xAxis: {
      type: 'category',
      data: labels,
      // A bar per category: name every bar (slanted when they crowd), as a person reads them.
      axisLabel:
        !line && labels.length <= 20
          ? { color: text, interval: 0, rotate: labels.length > 6 ? 30 : 0 }
          : { color: text, hideOverlap: true },
      axisLine: { lineStyle: { color: grid } },
    },
    yAxis: { type: 'value', axisLabel: { color: text }, splitLine: { lineStyle: { color: grid } } },
    series: ys.map((column) => ({
      name: column,
      type: line ? 'line' : 'bar',
      data: ordered.map((row) => (typeof row[column] === 'number' ? row[column] : null)),
      smooth: line,
      showSymbol: line && ordered.length < 40,
      areaStyle: line && ys.length === 1 ? { opacity: 0.12 } : undefined,
      barMaxWidth: 48,
    })),
  };
}

/** The explorer's histogram: one bar per bucket, stacked by level. */
export function volumeOption(volume: Volume, dark: boolean): ChartOption {
  const { text, line } = axisColors(dark);
  const withDate = volume.bucket_seconds >= 3600 || Date.parse(volume.to) - Date.parse(volume.from) > 86_400_000;
  const labels = volume.buckets.map((bucket) => {
    const shown = formatTime(bucket, withDate);
    return shown.slice(0, shown.length - (volume.bucket_seconds >= 60 ? 7 : 4));
  });
  return {
    animation: false,
    grid: { left: 4, right: 8, top: 8, bottom: 4, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: {
      type: 'category',
      data: labels,
      axisLabel: { color: text, hideOverlap: true },
      axisLine: { lineStyle: { color: line } },
      axisTick: { show: false },
    },
    yAxis: {
      type: 'value',
      minInterval: 1,
      axisLabel: { color: text },
      splitLine: { lineStyle: { color: line } },
    },
    series: Object.entries(volume.levels).map(([level, counts]) => ({
      name: level,
      type: 'bar',
      stack: 'levels',
      data: counts,
      itemStyle: { color: LEVEL_COLORS[level] },
      barCategoryGap: '15%',
    })),
  };
}
