/**
 * Koa middleware: one log per request and the request context for every log written while
 * serving it. Put it first: `app.use(loglensKoa(collector))`.
 */
import type { LogCollector } from './collector.js';
import { currentRequest, runRequest } from './node-context.js';
import { logRequest, statusOfError, type RequestLogOptions } from './requests.js';

interface Context {
  method: string;
  path: string;
  status: number;
  get(header: string): string;
  _matchedRoute?: unknown;
}

export function loglensKoa(
  collector: LogCollector,
  options: RequestLogOptions = {},
): (ctx: Context, next: () => Promise<unknown>) => Promise<void> {
  return (ctx, next) => {
    const startedAt = performance.now();
    return runRequest(ctx.get('traceparent') || undefined, async () => {
      let error: unknown;
      try {
        await next();
      } catch (thrown) {
        error = thrown;
        throw thrown;
      } finally {
        const matched = ctx._matchedRoute;
        logRequest(
          collector,
          {
            method: ctx.method,
            path: ctx.path,
            route: typeof matched === 'string' ? matched : undefined,
            status: error === undefined ? ctx.status : statusOfError(error),
            startedAt,
            error,
            context: currentRequest(),
          },
          options,
        );
      }
    });
  };
}
