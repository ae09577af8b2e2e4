/** The one log per request that every Node framework integration writes. */
import { errorFields, type LogCollector } from './collector.js';
import type { RequestContext } from './context.js';

export interface RequestLogOptions {
  /** The service of the request logs (default: the collector's). */
  service?: string;
}

export interface ServedRequest {
  method: string;
  path: string;
  /** The route template (/users/:id) when the framework matched one. */
  route?: string | undefined;
  status: number;
  startedAt: number;
  error?: unknown;
  context?: RequestContext | undefined;
}

/**
 * `GET /users/42 → 200 in 3.1 ms`: INFO, WARN for 4xx, ERROR for 5xx. An error that became a
 * 5xx brings its type and stack trace; one that became a 4xx (a NotFound) is the client's.
 */
export function logRequest(collector: LogCollector, served: ServedRequest, options: RequestLogOptions = {}): void {
  const durationMs = Math.round((performance.now() - served.startedAt) * 1000) / 1000;
  const failed = served.error !== undefined && served.error !== null && served.status >= 500;
  const level = served.status >= 500 ? 'ERROR' : served.status >= 400 ? 'WARN' : 'INFO';
  const metadata: Record<string, unknown> = { 'http.response.status_code': served.status };
  if (served.route !== undefined && served.route !== served.path) metadata['url.path'] = served.path;
  const message = `${served.method} ${served.path} → ${served.status} in ${durationMs.toFixed(1)} ms`;
  collector.logIn('loglens.requests', level, options.service ?? collector.service, message, {
    ...served.context,
    method: served.method,
    path: served.route ?? served.path,
    durationMs,
    metadata,
    ...(failed ? { error: served.error } : {}),
  });
}

export function statusOfError(error: unknown, fallback = 500): number {
  if (typeof error === 'object' && error !== null) {
    const candidate = error as { status?: unknown; statusCode?: unknown; getStatus?: () => unknown };
    for (const status of [candidate.getStatus?.(), candidate.status, candidate.statusCode]) {
      if (typeof status === 'number' && status >= 400 && status < 600) return status;
    }
  }
  return fallback;
}

export { errorFields };
