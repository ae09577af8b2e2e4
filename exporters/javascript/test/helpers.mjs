// Test helpers: a real `loglens up` (the project's .venv) on a PostgreSQL database the test
// run was given (LOGLENS_TEST_DSN, made by tests/exporters/test_javascript_exporter.py),
// and SQL through psql.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const DSN = required('LOGLENS_TEST_DSN');
const LOGLENS = required('LOGLENS_BIN');
const PSQL = required('PSQL');

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through make test (pytest drives them)`);
  return value;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `loglens up` on the test database; `ports` restarts one where a stopped one listened. */
export async function startLoglens({ ports, env = {} } = {}) {
  const [httpPort, grpcPort] = ports ?? [await freePort(), await freePort()];
  const agentPort = await freePort(); // loglens up also serves the agent's API
  const args = ['up', '--otlp-http-port', String(httpPort), '--otlp-grpc-port', String(grpcPort), '--agent-port', String(agentPort)];
  const child = spawn(LOGLENS, args, {
    env: { ...process.env, LOGLENS_DATABASE_URL: DSN, LOGLENS_COLLECTOR_WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 60_000;
  while (!output.includes('loglens is up')) {
    if (child.exitCode !== null) throw new Error(`loglens up exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`loglens up did not come up:\n${output}`);
    }
    await sleep(50);
  }
  return {
    url: `http://127.0.0.1:${httpPort}`,
    ports: [httpPort, grpcPort],
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}

/** Rows of a query, as objects (through psql and json_agg). */
export function query(sql) {
  const out = execFileSync(PSQL, [DSN, '-X', '-q', '-At', '-c', `SELECT coalesce(json_agg(t), '[]') FROM (${sql}) t`], {
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

/** Poll until `sql` returns `expected` rows (exporters send in the background). */
export async function waitForRows(sql, expected, withinMs = 15_000) {
  const deadline = Date.now() + withinMs;
  let rows = query(sql);
  while (rows.length !== expected && Date.now() < deadline) {
    await sleep(100);
    rows = query(sql);
  }
  return rows;
}

/** A service name of its own, so tests sharing a database see only their rows. */
export function uniqueService(name) {
  return `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
