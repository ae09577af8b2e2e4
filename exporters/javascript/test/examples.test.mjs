// The runnable examples run, and what they log lands.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startLoglens, waitForRows } from './helpers.mjs';

let loglens;
before(async () => {
  loglens = await startLoglens();
});
after(async () => {
  await loglens.stop();
});

function run(example) {
  const child = spawn(process.execPath, [fileURLToPath(new URL(`../examples/${example}`, import.meta.url))], {
    env: { ...process.env, LOGLENS_URL: loglens.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

test('examples/collector.mjs', async () => {
  const { child, output } = run('collector.mjs');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, output());
  const rows = await waitForRows(`SELECT level, error_type FROM logs WHERE service = 'api-server' ORDER BY level`, 4);
  assert.deepEqual(rows.map((row) => row.level), ['INFO', 'WARN', 'ERROR', 'ERROR']);
  assert.ok(rows.some((row) => row.error_type === 'SyntaxError'));
});

test('examples/pino.mjs', async () => {
  const { child, output } = run('pino.mjs');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, output());
  assert.equal((await waitForRows(`SELECT 1 FROM logs WHERE service = 'worker'`, 2)).length, 2);
});
