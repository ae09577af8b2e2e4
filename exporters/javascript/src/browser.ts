/**
 * loglens-exporter in the browser: `LogCollector` with the page's path, browser and device on
 * every log, the last logs of a page sent when it is hidden or left (`pagehide`,
 * `visibilitychange`; the exporter's fetch uses `keepalive`, so the request outlives the
 * page), and, when asked, `window.onerror` and `unhandledrejection`. The collector must list
 * the page's origin in LOGLENS_CORS_ORIGINS.
 */
import { LogCollector as CoreCollector, errorFields, type LogCollectorOptions } from './collector.js';
import { setContextProvider, type RequestContext } from './context.js';

export type { Level, LogFields, LogCollectorOptions, Stats } from './collector.js';
export type { RequestContext } from './context.js';

export interface BrowserLogCollectorOptions extends LogCollectorOptions {
  /** Log uncaught errors (`error` events) and unhandled promise rejections (default false). */
  captureErrors?: boolean;
  /** Send what is queued when the page is hidden or left (default true). */
  flushOnHide?: boolean;
}

/** The page's own context: its user and session, set by the app. */
const page: RequestContext = {};

function browserName(userAgent: string): string {
  const found =
    /(Edg|OPR|Firefox|Chrome|Chromium|Version)\/(\d+)/.exec(userAgent) ?? /(MSIE|rv:)\s?(\d+)/.exec(userAgent);
  if (found === null) return 'unknown';
  const names: Record<string, string> = { Edg: 'Edge', OPR: 'Opera', Version: 'Safari', 'rv:': 'IE', MSIE: 'IE' };
  return `${names[found[1] ?? ''] ?? found[1]} ${found[2]}`;
}

function deviceKind(userAgent: string): string {
  if (/iPad|Tablet/i.test(userAgent)) return 'tablet';
  if (/Mobi|Android|iPhone/i.test(userAgent)) return 'mobile';
  return 'desktop';
}

export class LogCollector extends CoreCollector {
  private readonly detach: Array<() => void> = [];

  constructor(options: BrowserLogCollectorOptions = {}) {
    const userAgent = globalThis.navigator?.userAgent ?? '';
    super(options, {
      resourceAttributes: {
        'browser.user_agent': userAgent,
        'browser.language': globalThis.navigator?.language ?? '',
        'loglens.log_type': 'FRONTEND',
      },
    });
    page['browser'] = browserName(userAgent);
    page['device'] = deviceKind(userAgent);
    setContextProvider(() => ({ ...page, path: globalThis.location?.pathname }));
    if (options.flushOnHide !== false) this.flushOnHide();
    if (options.captureErrors === true) this.captureErrors();
  }

  /** The user of this page (on every log from now on). */
  setUser(userId: string | undefined): void {
    page.userId = userId;
  }

  setSession(sessionId: string | undefined): void {
    page.sessionId = sessionId;
  }

  override async close(): Promise<void> {
    for (const undo of this.detach.splice(0)) undo();
    await super.close();
  }

  private listen(target: EventTarget | undefined, event: string, listener: (event: Event) => void): void {
    if (target === undefined) return;
    target.addEventListener(event, listener);
    this.detach.push(() => target.removeEventListener(event, listener));
  }

  private flushOnHide(): void {
    const send = (): void => {
      void this.flush();
    };
    this.listen(globalThis.window, 'pagehide', send);
    this.listen(globalThis.document, 'visibilitychange', () => {
      if (globalThis.document?.visibilityState === 'hidden') send();
    });
  }

  private captureErrors(): void {
    this.listen(globalThis.window, 'error', (event) => {
      const { error, message, filename, lineno } = event as ErrorEvent;
      const fields = error !== undefined && error !== null ? { error } : errorFields(message);
      this.log('ERROR', this.service, String(message || errorFields(error).message || 'error'), {
        ...fields,
        filePath: filename || undefined,
        metadata: { 'code.line.number': lineno },
      });
    });
    this.listen(globalThis.window, 'unhandledrejection', (event) => {
      const { reason } = event as PromiseRejectionEvent;
      this.log('ERROR', this.service, `unhandled rejection: ${errorFields(reason).message ?? String(reason)}`, {
        error: reason,
      });
    });
  }
}
