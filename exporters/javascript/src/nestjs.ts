/**
 * NestJS interceptor: one log per request and the request context for every log written while
 * the handler runs. `app.useGlobalInterceptors(new LoglensInterceptor(collector))`.
 * Needs rxjs (every Nest app has it); works with the Express and Fastify adapters.
 */
import { Observable } from 'rxjs';

import type { LogCollector } from './collector.js';
import { currentRequest, runRequest } from './node-context.js';
import { logRequest, statusOfError, type RequestLogOptions } from './requests.js';

interface HttpRequest {
  method: string;
  url: string;
  originalUrl?: string;
  route?: { path?: unknown };
  routeOptions?: { url?: unknown };
  headers: Record<string, string | string[] | undefined>;
}

interface ExecutionContext {
  getType(): string;
  switchToHttp(): { getRequest(): HttpRequest; getResponse(): { statusCode: number } };
}

interface CallHandler<T> {
  handle(): Observable<T>;
}

function pathOf(request: HttpRequest): string {
  const url = request.originalUrl ?? request.url;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export class LoglensInterceptor {
  constructor(
    private readonly collector: LogCollector,
    private readonly options: RequestLogOptions = {},
  ) {}

  intercept<T>(context: ExecutionContext, next: CallHandler<T>): Observable<T> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest();
    const response = http.getResponse();
    const startedAt = performance.now();
    return new Observable<T>((subscriber) =>
      runRequest(request.headers['traceparent'], () => {
        const requestContext = currentRequest();
        const finish = (error?: unknown): void => {
          const template = request.route?.path ?? request.routeOptions?.url;
          logRequest(
            this.collector,
            {
              method: request.method,
              path: pathOf(request),
              route: typeof template === 'string' ? template : undefined,
              status: error === undefined ? response.statusCode : statusOfError(error),
              startedAt,
              error,
              context: requestContext,
            },
            this.options,
          );
        };
        return next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            finish(error);
            subscriber.error(error);
          },
          complete: () => {
            finish();
            subscriber.complete();
          },
        });
      }),
    );
  }
}
