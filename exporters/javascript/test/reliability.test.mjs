// The exporter never blocks the app and loses nothing it accepted: the collector killed for
// 10 s mid-stream and restarted on the same port, and a full queue while it is down.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { LogCollector } from 'loglens-exporter';

import { freePort, query, startLoglens, uniqueService, waitForRows } from './helpers.mjs';

const OUTAGE_MS = 10_000;

test('every log accepted during a 10 s collector outage arrives', { timeout: 120_000 }, async () => {
  let loglens = await startLoglens();
  const service = uniqueService('orders');
  const collector = new LogCollector({ serverUrl: loglens.url, service, batchSize: 50, flushInterval: 100 });
  let logged = 0;
  const stream = setInterval(() => {
    collector.info(service, `order event ${logged}`, { seq: logged });
    logged++;
  }, 5);
  try {
    await sleep(1_500);
    await loglens.stop('SIGKILL');
    await sleep(OUTAGE_MS);
    loglens = await startLoglens({ ports: loglens.ports });
    await sleep(1_500);
  } finally {
    clearInterval(stream);
  }
  // The processor may be in a backoff of several seconds when the collector returns.
  assert.equal(await collector.flush(60_000), true);
  const stats = collector.stats();
  await collector.close();
  await loglens.stop();

  const copies = new Map(
    query(`SELECT (metadata->>'seq')::int AS seq, count(*)::int AS n FROM logs WHERE service = '${service}' GROUP BY 1`).map((row) => [row.seq, row.n]),
  );
  const missing = [];
  for (let seq = 0; seq < logged; seq++) if (!copies.has(seq)) missing.push(seq);
  const duplicates = [...copies.values()].reduce((sum, n) => sum + n - 1, 0);
  console.log(`outage: ${logged} logged, ${missing.length} missing, ${duplicates} stored twice, ${JSON.stringify(stats)}`);
  assert.ok(logged > 500, `only ${logged} logs were written`);
  assert.deepEqual(missing, []);
  assert.deepEqual([stats.accepted, stats.sent, stats.dropped, stats.queued], [logged, logged, 0, 0]);
  assert.ok(stats.failedExports >= 1);
  // Only a batch whose commit raced the kill can be stored twice: at most one batch.
  assert.ok(duplicates <= 50, `${duplicates} stored twice`);
});

test('a full queue drops and counts, and log() never blocks', { timeout: 120_000 }, async () => {
  const port = await freePort(); // nobody listens there yet
  const service = uniqueService('flood');
  const collector = new LogCollector({ serverUrl: `http://127.0.0.1:${port}`, service, batchSize: 100, flushInterval: 50, maxQueueSize: 1000 });
  const durations = [];
  for (let seq = 0; seq < 20_000; seq++) {
    const started = performance.now();
    collector.info(service, 'request served', { seq });
    durations.push(performance.now() - started);
  }
  const stats = collector.stats();
  assert.equal(stats.accepted + stats.dropped, 20_000);
  assert.ok(stats.dropped >= 20_000 - 1000 - 100 && stats.dropped < 20_000, JSON.stringify(stats));
  durations.sort((a, b) => a - b);
  assert.ok(durations[Math.floor(durations.length * 0.99)] < 1, `p99 ${durations[Math.floor(durations.length * 0.99)]} ms`);
  assert.ok(durations.at(-1) < 50, `slowest ${durations.at(-1)} ms`);

  // The collector comes (back): what was queued arrives, nothing more.
  const loglens = await startLoglens({ ports: [port, await freePort()] });
  try {
    assert.equal(await collector.flush(60_000), true);
    const rows = await waitForRows(`SELECT 1 FROM logs WHERE service = '${service}'`, stats.accepted);
    assert.equal(rows.length, stats.accepted);
    assert.equal(collector.stats().sent, stats.accepted);
  } finally {
    await collector.close();
    await loglens.stop();
  }
});
