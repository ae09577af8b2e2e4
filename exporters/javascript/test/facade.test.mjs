// The mission's client API: new LogCollector({ serverUrl, service, environment, batchSize,
// flushInterval }), log() and its shortcuts, flush(), close(); camelCase fields → columns.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { LogCollector } from 'loglens-exporter';

import { query, startLoglens, uniqueService, waitForRows } from './helpers.mjs';

let loglens;
before(async () => {
  loglens = await startLoglens();
});
after(async () => {
  await loglens.stop();
});

test('the mission example lands with its columns', async () => {
  const service = uniqueService('api-server');
  const collector = new LogCollector({ serverUrl: loglens.url, service, environment: 'production', batchSize: 100, flushInterval: 5000 });
  collector.log('ERROR', service, 'DB connection failed', { traceId: 'abc123', userId: 'user_001' });
  assert.equal(await collector.flush(10_000), true);
  await collector.close();
  const [row] = query(`SELECT * FROM logs WHERE service = '${service}'`);
  assert.equal(row.level, 'ERROR');
  assert.equal(row.message, 'DB connection failed');
  assert.equal(row.trace_id, 'abc123');
  assert.equal(row.user_id, 'user_001');
  assert.equal(row.environment, 'production');
  assert.equal(row.log_type, 'BACKEND');
  assert.deepEqual(collector.stats(), { accepted: 1, sent: 1, queued: 0, dropped: 0, rejected: 0, lostAtExit: 0, failedExports: 0 });
});

test('shortcuts, camelCase fields, metadata and errors', async () => {
  const service = uniqueService('checkout');
  const collector = new LogCollector({ serverUrl: loglens.url, service, version: '3.0.1', batchSize: 2, flushInterval: 100 });
  collector.info(undefined, 'order placed', {
    path: '/api/orders',
    method: 'POST',
    durationMs: 41.5,
    sessionId: 's-1',
    metadata: { http_status: 201, region: 'eu-west-1' },
  });
  collector.warn(service, 'slow payment provider', { durationMs: 2400, actionType: 'pay' });
  collector.debug(service, 'cart recalculated', { functionName: 'recalc', filePath: 'cart.js' });
  collector.error(service, 'could not read the cart', { error: new TypeError("Cannot read properties of undefined (reading 'items')") });
  collector.fatal(service, 'out of memory', { logType: 'worker', spanId: '00f067aa0ba902b7' });
  collector.log('NOTICE', service, 'an unknown level is kept as INFO', { custom: { nested: [1, 2] } });
  await collector.close();

  const rows = Object.fromEntries(query(`SELECT * FROM logs WHERE service = '${service}'`).map((row) => [row.message, row]));
  assert.equal(Object.keys(rows).length, 6);
  const placed = rows['order placed'];
  assert.equal(placed.service_version, '3.0.1');
  assert.deepEqual([placed.level, placed.path, placed.method, placed.duration_ms, placed.session_id], ['INFO', '/api/orders', 'POST', 41.5, 's-1']);
  assert.equal(placed.metadata.http_status, 201);
  assert.equal(placed.metadata.region, 'eu-west-1');
  assert.deepEqual([rows['slow payment provider'].level, rows['slow payment provider'].action_type], ['WARN', 'pay']);
  const recalculated = rows['cart recalculated'];
  assert.deepEqual([recalculated.level, recalculated.function_name, recalculated.file_path], ['DEBUG', 'recalc', 'cart.js']);
  const failed = rows['could not read the cart'];
  assert.equal(failed.error_type, 'TypeError');
  assert.match(failed.stack_trace, /TypeError: Cannot read properties of undefined[\s\S]*facade\.test\.mjs/);
  assert.deepEqual([rows['out of memory'].level, rows['out of memory'].log_type, rows['out of memory'].span_id], ['FATAL', 'WORKER', '00f067aa0ba902b7']);
  const unknown = rows['an unknown level is kept as INFO'];
  assert.equal(unknown.level, 'INFO');
  assert.deepEqual(unknown.metadata.custom, { nested: [1, 2] });
});

test('close() is idempotent and log() after it is dropped and counted, never thrown', async () => {
  const service = uniqueService('closing');
  const collector = new LogCollector({ serverUrl: loglens.url, service });
  collector.info(service, 'before close');
  await Promise.all([collector.close(), collector.close()]);
  collector.info(service, 'after close');
  await collector.close();
  assert.equal((await waitForRows(`SELECT message FROM logs WHERE service = '${service}'`, 1)).length, 1);
  assert.equal(collector.stats().sent, 1);
});
