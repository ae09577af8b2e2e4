// The pino transport: pino's levels, messages, errors and fields land in their columns.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import pino from 'pino';

import { startLoglens, uniqueService, waitForRows } from './helpers.mjs';

const TRANSPORT = fileURLToPath(new URL('../dist/esm/pino.js', import.meta.url));

let loglens;
before(async () => {
  loglens = await startLoglens();
});
after(async () => {
  await loglens.stop();
});

test('pino logs land with their levels, errors and fields', async () => {
  const service = uniqueService('pino-api');
  const transport = pino.transport({ target: TRANSPORT, options: { serverUrl: loglens.url, service, environment: 'staging', flushInterval: 100 } });
  const logger = pino({ level: 'debug' }, transport);
  logger.info({ userId: 'u-7', path: '/api/cart', durationMs: 12.5, region: 'eu-west-1' }, 'cart shown');
  logger.debug('cache warm');
  logger.error({ err: new RangeError('quantity must be positive'), trace_id: 'abc123' }, 'could not update the cart');
  logger.child({ service: `${service}-worker` }).warn('queue is slow');
  transport.end();
  await once(transport, 'close');

  const rows = await waitForRows(`SELECT * FROM logs WHERE service LIKE '${service}%' ORDER BY created_at`, 4);
  const byMessage = Object.fromEntries(rows.map((row) => [row.message, row]));
  const shown = byMessage['cart shown'];
  assert.deepEqual([shown.level, shown.user_id, shown.path, shown.duration_ms, shown.environment], ['INFO', 'u-7', '/api/cart', 12.5, 'staging']);
  assert.equal(shown.metadata.region, 'eu-west-1');
  assert.equal(shown.metadata['host.name'].length > 0, true);
  assert.equal(byMessage['cache warm'].level, 'DEBUG');
  const failed = byMessage['could not update the cart'];
  assert.deepEqual([failed.level, failed.error_type, failed.trace_id], ['ERROR', 'RangeError', 'abc123']);
  assert.match(failed.stack_trace, /RangeError: quantity must be positive/);
  assert.deepEqual([byMessage['queue is slow'].level, byMessage['queue is slow'].service], ['WARN', `${service}-worker`]);
});
