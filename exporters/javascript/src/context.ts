/**
 * Request context: the trace, user and session of the request being served, attached to every
 * log written while it is served. Node keeps it in an AsyncLocalStorage (see node-context.ts);
 * a browser page has one context of its own (the page's user and session).
 */

export interface RequestContext {
  traceId?: string;
  spanId?: string;
  userId?: string;
  sessionId?: string;
  [attribute: string]: unknown;
}

let provider: () => RequestContext | undefined = () => undefined;

/** Where the current request context comes from (set once by the Node entry point). */
export function setContextProvider(get: () => RequestContext | undefined): void {
  provider = get;
}

export function currentContext(): RequestContext | undefined {
  return provider();
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/;
const INVALID_TRACE_ID = '0'.repeat(32);

/** Trace and parent span ids from a W3C `traceparent` header, when it is a valid one. */
export function parseTraceparent(header: unknown): { traceId: string; spanId: string } | undefined {
  if (typeof header !== 'string') return undefined;
  const match = TRACEPARENT.exec(header.trim().toLowerCase());
  if (match?.[1] === undefined || match[2] === undefined || match[1] === INVALID_TRACE_ID) return undefined;
  return { traceId: match[1], spanId: match[2] };
}

function randomHex(bytes: number): string {
  const values = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(values);
  return Array.from(values, (value) => value.toString(16).padStart(2, '0')).join('');
}

/** A new trace id, for a request that came without one. */
export function newTraceId(): string {
  return randomHex(16);
}
