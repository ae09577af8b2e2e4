/** The request context in Node: an AsyncLocalStorage, so it follows awaits and callbacks. */
import { AsyncLocalStorage } from 'node:async_hooks';

import { newTraceId, parseTraceparent, setContextProvider, type RequestContext } from './context.js';

const storage = new AsyncLocalStorage<RequestContext>();
setContextProvider(() => storage.getStore());

/** Run `fn` with `context` attached to every log it writes (merged over the current one). */
export function withRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, fn);
}

/** A fresh context for one served request, with the trace id of its `traceparent` or a new one. */
export function requestContextFor(traceparent: unknown): RequestContext {
  const parent = parseTraceparent(traceparent);
  return parent !== undefined ? { traceId: parent.traceId } : { traceId: newTraceId() };
}

export function runRequest<T>(traceparent: unknown, fn: () => T): T {
  return storage.run(requestContextFor(traceparent), fn);
}

function set(key: string, value: unknown): void {
  const store = storage.getStore();
  if (store !== undefined) store[key] = value;
}

/** The user of the current request: on every log written from now on while serving it. */
export function setUser(userId: string | undefined): void {
  set('userId', userId);
}

export function setSession(sessionId: string | undefined): void {
  set('sessionId', sessionId);
}

export function setAttribute(key: string, value: unknown): void {
  set(key, value);
}

export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}
