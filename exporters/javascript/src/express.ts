/**
 * Express middleware: one log per request (method, route, status, duration, trace id from
 * `traceparent`) and the request context for every log written while serving it.
 *
 *     app.use(loglensExpress(collector));
 *     // ...routes...
 *     app.use(loglensExpressErrors());   // before your error handlers: errors get their stack trace
 */
import type { LogCollector } from './collector.js';
import { currentRequest, runRequest } from './node-context.js';
import { logRequest, type RequestLogOptions } from './requests.js';

interface Request {
  method: string;
  originalUrl?: string;
  url: string;
  baseUrl?: string;
  route?: { path?: unknown };
  headers: Record<string, string | string[] | undefined>;
}

interface Response {
  statusCode: number;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

type Next = (error?: unknown) => void;

const ERROR = Symbol.for('loglens.error');

function pathOf(request: Request): string {
  const url = request.originalUrl ?? request.url;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export function loglensExpress(
  collector: LogCollector,
  options: RequestLogOptions = {},
): (request: Request, response: Response, next: Next) => void {
  return (request, response, next) => {
    const startedAt = performance.now();
    runRequest(request.headers['traceparent'], () => {
      const context = currentRequest();
      let logged = false;
      const done = (): void => {
        if (logged) return;
        logged = true;
        const routePath = request.route?.path;
        const route = typeof routePath === 'string' ? `${request.baseUrl ?? ''}${routePath}` : undefined;
        const error = (request as unknown as Record<symbol, unknown>)[ERROR];
        const status = response.statusCode;
        logRequest(collector, { method: request.method, path: pathOf(request), route, status, startedAt, error, context }, options);
      };
      response.once('finish', done);
      response.once('close', done);
      next();
    });
  };
}

/** Error middleware: remembers the error for the request log, then passes it on. */
export function loglensExpressErrors(): (error: unknown, request: Request, response: Response, next: Next) => void {
  return (error, request, _response, next) => {
    (request as unknown as Record<symbol, unknown>)[ERROR] = error;
    next(error);
  };
}
