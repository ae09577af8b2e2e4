/**
 * loglens-exporter for Node.js: `LogCollector`, request context, exit and crash hooks.
 * Framework integrations: `loglens-exporter/express`, `/koa`, `/nestjs`; pino: `/pino`.
 */
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';

import { LogCollector as CoreCollector, errorFields, type LogCollectorOptions } from './collector.js';

export { currentRequest, setAttribute, setSession, setUser, withRequestContext } from './node-context.js';
export type { Level, LogFields, LogCollectorOptions, Stats } from './collector.js';
export type { RequestContext } from './context.js';

export interface NodeLogCollectorOptions extends LogCollectorOptions {
  /** Send what is queued on `beforeExit` and `SIGTERM` (default true). */
  flushOnExit?: boolean;
  /** Log uncaught exceptions (FATAL) and unhandled rejections (ERROR), then exit as Node would. */
  captureUncaught?: boolean;
  /** gzip request bodies (default true). */
  compression?: boolean;
}

export class LogCollector extends CoreCollector {
  private readonly detach: Array<() => void> = [];

  constructor(options: NodeLogCollectorOptions = {}) {
    super(options, {
      exporterOptions: {
        compression: options.compression === false ? CompressionAlgorithm.NONE : CompressionAlgorithm.GZIP,
      },
      resourceAttributes: { 'process.runtime.name': 'nodejs', 'process.runtime.version': process.versions.node },
    });
    if (options.flushOnExit !== false) this.flushOnExit();
    if (options.captureUncaught === true) this.captureUncaught();
  }

  override async close(): Promise<void> {
    for (const undo of this.detach.splice(0)) undo();
    await super.close();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- process.on takes any listener
  private on(event: string, listener: (...args: any[]) => void): void {
    process.on(event, listener);
    this.detach.push(() => process.removeListener(event, listener));
  }

  private flushOnExit(): void {
    // beforeExit: the event loop is empty; sending schedules work, so Node waits for it.
    let flushedAtExit = false;
    this.on('beforeExit', () => {
      if (flushedAtExit) return;
      flushedAtExit = true;
      void this.close();
    });
    const onSigterm = (): void => {
      void this.close().finally(() => {
        // Node's default for SIGTERM is to exit; keep it when nobody else handles the signal.
        if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
      });
    };
    process.once('SIGTERM', onSigterm);
    this.detach.push(() => process.removeListener('SIGTERM', onSigterm));
  }

  private captureUncaught(): void {
    const crash = (level: 'FATAL' | 'ERROR', what: string, error: unknown): void => {
      const { message } = errorFields(error);
      this.log(level, this.service, `${what}: ${message ?? String(error)}`, { error });
      void this.close().finally(() => {
        // Node would have exited: do so once the log is sent, unless someone else handles it.
        if (process.listenerCount('uncaughtException') === 0) process.exit(1);
      });
    };
    const onException = (error: Error): void => crash('FATAL', 'uncaught exception', error);
    const onRejection = (reason: unknown): void => crash('ERROR', 'unhandled rejection', reason);
    // Ours are removed by close() before the exit check, so only the app's own count.
    this.on('uncaughtException', onException);
    this.on('unhandledRejection', onRejection);
  }
}
