/**
 * The pipeline every log goes through: a bounded queue, one export at a time, retries.
 *
 * `onEmit` only pushes onto an array. Batches are exported by the OTLP exporter (which retries
 * inside one export with its own backoff and `Retry-After`); a batch that still fails is kept
 * and sent again after a backoff of our own, so an outage of the collector costs queue space
 * and nothing else. When the queue is full new records are dropped and counted. A batch the
 * collector refuses for good (a 4xx other than 408/429) is counted as rejected. Timers are
 * unref'd: they never keep a Node process alive. `shutdown` is idempotent and bounded.
 */
import type { Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord, SdkLogRecord } from '@opentelemetry/sdk-logs';

export interface Stats {
  /** Records taken into the queue. */
  accepted: number;
  /** Records the collector acknowledged. */
  sent: number;
  /** Records waiting in the queue or being sent. */
  queued: number;
  /** Records not queued because the queue was full. */
  dropped: number;
  /** Records the collector refused for good (4xx), not retried. */
  rejected: number;
  /** Records still queued when shutdown's time ran out. */
  lostAtExit: number;
  /** Export attempts that failed and were retried. */
  failedExports: number;
}

export interface ProcessorOptions {
  batchSize: number;
  flushIntervalMs: number;
  maxQueueSize: number;
  shutdownTimeoutMs: number;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 405, 413, 415, 422]);

type Timer = ReturnType<typeof setTimeout>;

function unref(timer: Timer): Timer {
  const maybe = timer as { unref?: () => void };
  if (typeof maybe.unref === 'function') maybe.unref();
  return timer;
}

/** The HTTP status in an exporter's error, when it says one. */
function statusOf(error: Error | undefined): number | undefined {
  if (error === undefined) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const match = /status (\d{3})/.exec(error.message);
  return match?.[1] !== undefined ? Number(match[1]) : undefined;
}

export class LoglensProcessor implements LogRecordProcessor {
  private queue: ReadableLogRecord[] = [];
  private inFlight: ReadableLogRecord[] | null = null;
  private timer: Timer | undefined;
  private retryTimer: Timer | undefined;
  private failures = 0;
  private closing = false;
  private sendQueued = false;
  private closed: Promise<void> | undefined;
  private deadline = 0;
  private waiters: Array<{ target: number; resolve: () => void }> = [];
  private taken = 0;
  private done = 0;
  private counts = { sent: 0, dropped: 0, rejected: 0, lost: 0, failed: 0 };

  constructor(
    private readonly exporter: LogRecordExporter,
    private readonly options: ProcessorOptions,
  ) {}

  onEmit(logRecord: SdkLogRecord, _context?: Context): void {
    const queue = this.queue;
    if (this.closing || queue.length >= this.options.maxQueueSize) {
      this.counts.dropped++;
      return;
    }
    queue.push(logRecord);
    if (this.inFlight !== null) return;
    if (queue.length >= this.options.batchSize) this.sendSoon();
    else if (this.timer === undefined) {
      this.timer = unref(setTimeout(() => this.sendNext(), this.options.flushIntervalMs));
    }
  }

  stats(): Stats {
    const inFlight = this.inFlight?.length ?? 0;
    return {
      accepted: this.taken + this.queue.length,
      sent: this.counts.sent,
      queued: this.queue.length + inFlight,
      dropped: this.counts.dropped,
      rejected: this.counts.rejected,
      lostAtExit: this.counts.lost,
      failedExports: this.counts.failed,
    };
  }

  /** Resolves once every record queued before the call is sent (or given up). */
  forceFlush(): Promise<void> {
    const target = this.taken + this.queue.length;
    if (this.done >= target) return Promise.resolve();
    const flushed = new Promise<void>((resolve) => this.waiters.push({ target, resolve }));
    if (this.retryTimer !== undefined && this.closing) this.retryNow();
    this.sendSoon();
    return flushed;
  }

  /** Like forceFlush, bounded: true when everything was sent in time. */
  async flush(timeoutMs: number): Promise<boolean> {
    let timer: Timer | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = unref(setTimeout(() => resolve(false), timeoutMs));
    });
    const result = await Promise.race([this.forceFlush().then(() => true), timedOut]);
    clearTimeout(timer);
    return result;
  }

  shutdown(): Promise<void> {
    this.closed ??= this.close(this.options.shutdownTimeoutMs);
    return this.closed;
  }

  private async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.deadline = Date.now() + timeoutMs;
    if (this.retryTimer !== undefined) this.retryNow();
    await this.flush(timeoutMs);
    this.clearTimers();
    const left = this.queue.length + (this.inFlight?.length ?? 0);
    if (left > 0) {
      this.taken += this.queue.length;
      this.queue = [];
      this.inFlight = null;
      this.finish(left, 'lost');
    }
    try {
      await this.exporter.shutdown();
    } catch {
      // never raise into the application, least of all at exit
    }
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.timer = this.retryTimer = undefined;
  }

  /** Send once the current synchronous burst of logs is over (a microtask: no timer to unref). */
  private sendSoon(): void {
    if (this.inFlight !== null || this.sendQueued) return;
    this.sendQueued = true;
    queueMicrotask(() => {
      this.sendQueued = false;
      this.sendNext();
    });
  }

  private sendNext(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight !== null || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.batchSize);
    this.taken += batch.length;
    this.inFlight = batch;
    this.export(batch);
  }

  private retryNow(): void {
    if (this.retryTimer === undefined || this.inFlight === null) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.export(this.inFlight);
  }

  private export(batch: ReadableLogRecord[]): void {
    let answered = false;
    const onResult = (result: ExportResult): void => {
      if (answered || this.inFlight !== batch) return;
      answered = true;
      this.afterExport(batch, result);
    };
    try {
      this.exporter.export(batch, onResult);
    } catch (error) {
      onResult({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  private afterExport(batch: ReadableLogRecord[], result: ExportResult): void {
    const status = statusOf(result.error);
    if (result.code === ExportResultCode.SUCCESS || (status !== undefined && PERMANENT_STATUSES.has(status))) {
      this.inFlight = null;
      this.failures = 0;
      this.finish(batch.length, result.code === ExportResultCode.SUCCESS ? 'sent' : 'rejected');
      const hurry = this.waiters.length > 0 || this.queue.length >= this.options.batchSize;
      if (hurry) this.sendSoon();
      else if (this.queue.length > 0 && this.timer === undefined) {
        this.timer = unref(setTimeout(() => this.sendNext(), this.options.flushIntervalMs));
      }
      return;
    }
    this.failures++;
    this.counts.failed++;
    let delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (this.failures - 1)) * (0.8 + Math.random() * 0.4);
    if (this.closing) {
      const remaining = this.deadline - Date.now();
      if (remaining <= 50) return; // close() counts what is left as lost
      delay = Math.min(delay, remaining / 2);
    }
    const retry = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.inFlight === batch) this.export(batch);
    }, delay);
    // While closing, the retry is what the process waits for (close() bounds it).
    this.retryTimer = this.closing ? retry : unref(retry);
  }

  private finish(count: number, outcome: 'sent' | 'rejected' | 'lost'): void {
    this.done += count;
    this.counts[outcome] += count;
    const waiting = this.waiters;
    this.waiters = waiting.filter((waiter) => this.done < waiter.target);
    for (const waiter of waiting) if (this.done >= waiter.target) waiter.resolve();
  }
}
