/**
 * A pino transport: `pino(pino.transport({ target: 'loglens-exporter/pino', options }))`,
 * with the LogCollector options (serverUrl, service, environment, ...).
 *
 * pino's levels become loglens levels, `msg` the message, `err` the error type and stack
 * trace, `time` the timestamp; fields named like columns (traceId, userId, trace_id, user_id,
 * ...) fill them, and everything else lands in `metadata`.
 */
import build from 'pino-abstract-transport';

import { LogCollector, type NodeLogCollectorOptions } from './index.js';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const PINO_OWN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err', 'service']);

export interface PinoTransportOptions extends NodeLogCollectorOptions {}

function levelOf(level: unknown): string {
  if (typeof level === 'number') return LEVELS[level] ?? (level >= 60 ? 'FATAL' : level >= 50 ? 'ERROR' : 'INFO');
  return typeof level === 'string' ? level.toUpperCase() : 'INFO';
}

export default async function loglensTransport(options: PinoTransportOptions = {}): Promise<unknown> {
  // The transport runs in its own worker thread: pino ends it, and close() sends what is left.
  const collector = new LogCollector({ ...options, flushOnExit: false, captureUncaught: false });
  return build(
    async (source: AsyncIterable<Record<string, unknown>>) => {
      for await (const line of source) {
        const fields: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(line)) if (!PINO_OWN.has(key)) fields[key] = value;
        if (line['err'] !== undefined) fields['error'] = toError(line['err']);
        if (typeof line['hostname'] === 'string') fields['host.name'] = line['hostname'];
        if (typeof line['time'] === 'number') fields['timestamp'] = line['time'];
        const service = typeof line['service'] === 'string' ? line['service'] : collector.service;
        collector.logIn('pino', levelOf(line['level']), service, String(line['msg'] ?? ''), fields);
      }
    },
    {
      async close() {
        await collector.close();
      },
    },
  );
}

/** pino serializes errors as { type, message, stack }. */
function toError(serialized: unknown): unknown {
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  const { type, message, stack } = serialized as { type?: unknown; message?: unknown; stack?: unknown };
  const error = new Error(typeof message === 'string' ? message : '');
  error.name = typeof type === 'string' ? type : 'Error';
  if (typeof stack === 'string') error.stack = stack;
  return error;
}
