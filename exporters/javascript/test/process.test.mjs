// Node processes: pending logs are sent when the process ends by itself (beforeExit) or on
// SIGTERM, and, when opted in, an uncaught exception is logged before the process exits.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { startLoglens, uniqueService, waitForRows } from './helpers.mjs';

let loglens;
before(async () => {
  loglens = await startLoglens();
});
after(async () => {
  await loglens.stop();
});

function app(script) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], cwd: process.cwd() });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

test('logs still queued when the process ends by itself are sent', async () => {
  const service = uniqueService('cron');
  const { child, output } = app(`
    import { LogCollector } from 'loglens-exporter';
    const collector = new LogCollector({ serverUrl: '${loglens.url}', service: '${service}', flushInterval: 60000 });
    for (let n = 0; n < 300; n++) collector.info('${service}', 'row ' + n + ' exported');
  `);
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, output());
  assert.equal((await waitForRows(`SELECT 1 FROM logs WHERE service = '${service}'`, 300)).length, 300);
});

test('SIGTERM sends what is queued, then the process ends', async () => {
  const service = uniqueService('web');
  const { child, output } = app(`
    import { LogCollector } from 'loglens-exporter';
    const collector = new LogCollector({ serverUrl: '${loglens.url}', service: '${service}', flushInterval: 60000 });
    collector.info('${service}', 'serving');
    setInterval(() => {}, 1000); // a server that would run forever
    console.log('ready');
  `);
  while (!output().includes('ready')) await sleep(20);
  const started = Date.now();
  child.kill('SIGTERM');
  const [, signal] = await once(child, 'exit');
  assert.equal(signal, 'SIGTERM', output());
  assert.ok(Date.now() - started < 6_000);
  assert.equal((await waitForRows(`SELECT 1 FROM logs WHERE service = '${service}'`, 1)).length, 1);
});

test('an uncaught exception is logged when opted in, and the process still exits with 1', async () => {
  const service = uniqueService('crashy');
  const { child, output } = app(`
    import { LogCollector } from 'loglens-exporter';
    new LogCollector({ serverUrl: '${loglens.url}', service: '${service}', captureUncaught: true });
    setTimeout(() => { throw new SyntaxError('unexpected token in config.json'); }, 10);
  `);
  const [code] = await once(child, 'exit');
  assert.equal(code, 1, output());
  const [row] = await waitForRows(`SELECT * FROM logs WHERE service = '${service}'`, 1);
  assert.deepEqual([row.level, row.error_type], ['FATAL', 'SyntaxError']);
  assert.match(row.message, /uncaught exception: unexpected token in config.json/);
  assert.match(row.stack_trace, /SyntaxError: unexpected token/);
});

test('an unhandled rejection is logged when opted in', async () => {
  const service = uniqueService('rejecting');
  const { child, output } = app(`
    import { LogCollector } from 'loglens-exporter';
    new LogCollector({ serverUrl: '${loglens.url}', service: '${service}', captureUncaught: true });
    Promise.reject(new Error('payment provider timed out'));
  `);
  const [code] = await once(child, 'exit');
  assert.equal(code, 1, output());
  const [row] = await waitForRows(`SELECT * FROM logs WHERE service = '${service}'`, 1);
  assert.deepEqual([row.level, row.error_type], ['ERROR', 'Error']);
  assert.match(row.message, /unhandled rejection: payment provider timed out/);
});
