/**
 * `LogCollector`: the mission's client API on the OpenTelemetry JS SDK.
 *
 *     const collector = new LogCollector({ serverUrl: 'http://localhost:4318', service: 'api-server' });
 *     collector.log('ERROR', 'api-server', 'DB connection failed', { traceId: 'abc123', userId: 'user_001' });
 *     await collector.close();
 *
 * camelCase fields map to the `logs` columns (traceId → trace_id, userId → user_id,
 * durationMs → duration_ms, ...); `metadata` and any other field land in `metadata`.
 * This module runs in Node and in browsers; the platform's entry point adds its own hooks.
 */
import type { Attributes } from '@opentelemetry/api';
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';

import { currentContext, type RequestContext } from './context.js';
import { LoglensProcessor, type Stats } from './processor.js';

export type { Stats } from './processor.js';

export type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'WARNING' | 'ERROR' | 'FATAL' | 'CRITICAL';

export interface LogFields {
  traceId?: string;
  spanId?: string;
  userId?: string;
  sessionId?: string;
  errorType?: string;
  stackTrace?: string;
  path?: string;
  method?: string;
  actionType?: string;
  functionName?: string;
  filePath?: string;
  durationMs?: number;
  logType?: 'BACKEND' | 'FRONTEND' | 'MOBILE' | 'IOT' | 'WORKER' | Lowercase<'BACKEND' | 'FRONTEND' | 'MOBILE' | 'IOT' | 'WORKER'>;
  environment?: string;
  serviceVersion?: string;
  /** An error whose type and stack trace fill errorType and stackTrace. */
  error?: unknown;
  /** When it happened (default: now), as epoch milliseconds or a Date. */
  timestamp?: number | Date;
  /** Kept in the `metadata` column (http_status, ip, browser, device, region, ...). */
  metadata?: Record<string, unknown>;
  [other: string]: unknown;
}

export interface LogCollectorOptions {
  /** loglens's OTLP/HTTP address, e.g. http://localhost:4318 (the /v1/logs path is added). */
  serverUrl?: string;
  /** The default service of logs that name none. */
  service?: string;
  environment?: string;
  version?: string;
  /** Records per export request. */
  batchSize?: number;
  /** Milliseconds a record may wait before its batch is sent. */
  flushInterval?: number;
  /** Records waiting at most; past it new records are dropped (and counted). */
  maxQueueSize?: number;
  /** LOGLENS_INGEST_TOKEN of the collector, when it requires one. */
  token?: string;
  headers?: Record<string, string>;
  /** Milliseconds close() may take to send what is queued. */
  shutdownTimeout?: number;
  /** Milliseconds one export request (with the exporter's own retries) may take. */
  exportTimeout?: number;
  /** Extra resource attributes (host, region, ...). */
  resourceAttributes?: Attributes;
}

const SEVERITY: Record<string, [SeverityNumber, string]> = {
  TRACE: [SeverityNumber.TRACE, 'TRACE'],
  DEBUG: [SeverityNumber.DEBUG, 'DEBUG'],
  INFO: [SeverityNumber.INFO, 'INFO'],
  WARN: [SeverityNumber.WARN, 'WARN'],
  WARNING: [SeverityNumber.WARN, 'WARN'],
  ERROR: [SeverityNumber.ERROR, 'ERROR'],
  FATAL: [SeverityNumber.FATAL, 'FATAL'],
  CRITICAL: [SeverityNumber.FATAL, 'FATAL'],
};
const UNKNOWN_LEVEL: [SeverityNumber, string] = [SeverityNumber.UNSPECIFIED, 'INFO'];

/** camelCase fields → the attribute names the collector maps to columns. */
const COLUMN_ATTRIBUTES: Record<string, string> = {
  traceId: 'trace_id',
  spanId: 'span_id',
  userId: 'user.id',
  sessionId: 'session.id',
  errorType: 'exception.type',
  stackTrace: 'exception.stacktrace',
  path: 'path',
  method: 'http.request.method',
  actionType: 'action_type',
  functionName: 'code.function.name',
  filePath: 'code.file.path',
  durationMs: 'duration_ms',
  logType: 'log_type',
  environment: 'environment',
  serviceVersion: 'service_version',
};

type AttributeValue = string | number | boolean | AttributeValue[] | { [key: string]: AttributeValue };

/** A value OTLP can carry: primitives, arrays and objects of them; anything else as text. */
function attributeValue(value: unknown, depth = 0): AttributeValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (depth < 8 && Array.isArray(value)) {
    return value.map((item) => attributeValue(item, depth + 1) ?? '');
  }
  if (depth < 8 && typeof value === 'object') {
    const object: { [key: string]: AttributeValue } = {};
    for (const [key, item] of Object.entries(value)) {
      const converted = attributeValue(item, depth + 1);
      if (converted !== undefined) object[key] = converted;
    }
    return object;
  }
  return String(value);
}

export function errorFields(error: unknown): { errorType?: string; stackTrace?: string; message?: string } {
  if (error instanceof Error) {
    return { errorType: error.name || error.constructor.name, stackTrace: error.stack ?? String(error), message: error.message };
  }
  if (error === undefined || error === null) return {};
  return { errorType: typeof error, stackTrace: String(error), message: String(error) };
}

function toAttributes(fields: LogFields | undefined, context: RequestContext | undefined): Attributes {
  const attributes: Record<string, AttributeValue> = {};
  const put = (source: Record<string, unknown>): void => {
    for (const [key, value] of Object.entries(source)) {
      if (key === 'metadata' || key === 'error' || key === 'timestamp') continue;
      const converted = attributeValue(value);
      if (converted !== undefined) attributes[COLUMN_ATTRIBUTES[key] ?? key] = converted;
    }
  };
  if (context !== undefined) put(context);
  if (fields?.metadata !== undefined) put(fields.metadata);
  if (fields?.error !== undefined) {
    const { errorType, stackTrace } = errorFields(fields.error);
    put({ errorType, stackTrace });
  }
  if (fields !== undefined) put(fields);
  return attributes as Attributes;
}

export interface PlatformSetup {
  /** Exporter options of the platform (compression in Node). */
  exporterOptions?: Record<string, unknown>;
  /** Resource attributes of the platform (browser.* in browsers). */
  resourceAttributes?: Attributes;
}

export class LogCollector {
  readonly service: string | undefined;
  protected readonly processor: LoglensProcessor;
  protected readonly provider: LoggerProvider;
  private readonly loggers = new Map<string, Logger>();
  private closing: Promise<void> | undefined;

  constructor(options: LogCollectorOptions = {}, platform: PlatformSetup = {}) {
    const serverUrl = (options.serverUrl ?? 'http://localhost:4318').replace(/\/+$/, '');
    const url = serverUrl.endsWith('/v1/logs') ? serverUrl : `${serverUrl}/v1/logs`;
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers['Authorization'] = `Bearer ${options.token}`;
    const exporter = new OTLPLogExporter({
      url,
      headers,
      timeoutMillis: options.exportTimeout ?? 10_000,
      ...platform.exporterOptions,
    });
    const batchSize = Math.max(1, options.batchSize ?? 100);
    this.processor = new LoglensProcessor(exporter, {
      batchSize,
      flushIntervalMs: Math.max(1, options.flushInterval ?? 5_000),
      maxQueueSize: Math.max(batchSize, options.maxQueueSize ?? 10_000),
      shutdownTimeoutMs: options.shutdownTimeout ?? 5_000,
    });
    const attributes: Attributes = { ...platform.resourceAttributes, ...options.resourceAttributes };
    if (options.service !== undefined) attributes['service.name'] = options.service;
    if (options.version !== undefined) attributes['service.version'] = options.version;
    if (options.environment !== undefined) attributes['deployment.environment.name'] = options.environment;
    this.service = options.service;
    this.provider = new LoggerProvider({
      resource: defaultResource().merge(resourceFromAttributes(attributes)),
      processors: [this.processor],
    });
  }

  /** Queue one log; never throws, never waits (a full queue drops it and counts it). */
  log(level: Level | string, service: string | undefined | null, message: string, fields?: LogFields): void {
    this.logIn('loglens-exporter', level, service, message, fields);
  }

  /** `log()` under another instrumentation scope (kept in metadata as otel.scope.name). */
  logIn(
    scope: string,
    level: Level | string,
    service: string | undefined | null,
    message: string,
    fields?: LogFields,
  ): void {
    try {
      const [severityNumber, severityText] = SEVERITY[level] ?? SEVERITY[String(level).toUpperCase()] ?? UNKNOWN_LEVEL;
      const attributes = toAttributes(fields, currentContext());
      if (service) attributes['service'] = service;
      let logger = this.loggers.get(scope);
      if (logger === undefined) {
        logger = this.provider.getLogger(scope);
        this.loggers.set(scope, logger);
      }
      const timestamp = fields?.timestamp ?? Date.now();
      logger.emit({ severityNumber, severityText, body: String(message), attributes, timestamp });
    } catch {
      // a log call never breaks the application
    }
  }

  trace(service: string | undefined | null, message: string, fields?: LogFields): void {
    this.log('TRACE', service, message, fields);
  }

  debug(service: string | undefined | null, message: string, fields?: LogFields): void {
    this.log('DEBUG', service, message, fields);
  }

  info(service: string | undefined | null, message: string, fields?: LogFields): void {
    this.log('INFO', service, message, fields);
  }

  warn(service: string | undefined | null, message: string, fields?: LogFields): void {
    this.log('WARN', service, message, fields);
  }

  error(service: string | undefined | null, message: string, fields?: LogFields): void {
    this.log('ERROR', service, message, fields);
  }

  fatal(service: string | undefined | null, message: string, fields?: LogFields): void {
    this.log('FATAL', service, message, fields);
  }

  /** Wait until every log given so far is sent; false if that took longer than timeoutMs. */
  flush(timeoutMs = 10_000): Promise<boolean> {
    return this.processor.flush(timeoutMs);
  }

  /** Send what is queued (within shutdownTimeout) and stop. Calling it again is harmless. */
  close(): Promise<void> {
    this.closing ??= this.provider.shutdown().catch(() => undefined);
    return this.closing;
  }

  stats(): Stats {
    return this.processor.stats();
  }
}
