import { cellText } from './format';
import type { Row } from './types';

/** RFC 4180 CSV, with a BOM so that spreadsheet programs read Korean text as UTF-8. */
export function toCsv(columns: readonly string[], rows: readonly Row[]): string {
  const quote = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  const lines = [columns.map(quote).join(',')];
  for (const row of rows) lines.push(columns.map((column) => quote(cellText(row[column]))).join(','));
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}

/** Tab-separated, for pasting into a spreadsheet. */
export function toTsv(columns: readonly string[], rows: readonly Row[]): string {
  const clean = (text: string): string => text.replace(/[\t\r\n]+/g, ' ');
  return [columns.map(clean).join('\t'), ...rows.map((row) => columns.map((c) => clean(cellText(row[c]))).join('\t'))].join(
    '\n',
  );
}

export function download(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = filename;
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
