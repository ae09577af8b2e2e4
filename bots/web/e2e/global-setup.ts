// Starts the real product for the end-to-end tests: `loglens up --demo` from this checkout's
// .venv, on free loopback ports, with its own embedded PostgreSQL in a temporary directory and
// the offline engine (no model, no network), serving bots/web/dist.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    agentUrl: string;
    collectorUrl: string;
    distDir: string;
    loglensLog: string;
  }
}

const WEB = resolve(import.meta.dirname, '..');
const ROOT = resolve(WEB, '../..');

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForUp(child: ChildProcess, logPath: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const output = readFileSync(logPath, 'utf8');
    if (output.includes('loglens is up')) return;
    if (child.exitCode !== null) throw new Error(`loglens up exited with ${child.exitCode}:\n${output}`);
    await new Promise((wait) => setTimeout(wait, 100));
  }
  throw new Error(`loglens up did not come up in ${seconds} s:\n${readFileSync(logPath, 'utf8')}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const python = process.env.LOGLENS_PYTHON ?? join(ROOT, '.venv/bin/python');
  const dist = join(WEB, 'dist');
  if (!existsSync(python)) throw new Error(`no Python at ${python}: run make test (or make .venv) from the repository root`);
  if (!existsSync(join(dist, 'index.html'))) throw new Error('bots/web/dist is not built: run npm run build first');
  const dataDir = mkdtempSync(join(tmpdir(), 'lle2e-')); // short: PostgreSQL's socket lives under it
  const [http, grpc, forward, syslog, agent] = [
    await freePort(), await freePort(), await freePort(), await freePort(), await freePort(),
  ];
  const logPath = join(dataDir, 'loglens.log');
  const output = openSync(logPath, 'w');
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('LOGLENS_')));
  const child = spawn(
    python,
    ['-m', 'loglens.cli', 'up', '--demo', '--otlp-http-port', `${http}`, '--otlp-grpc-port', `${grpc}`,
      '--forward-port', `${forward}`, '--syslog-port', `${syslog}`, '--agent-port', `${agent}`],
    {
      cwd: ROOT,
      env: {
        ...env,
        LOGLENS_DATA_DIR: join(dataDir, 'data'),
        LOGLENS_LLM_PROVIDER: 'offline',
        LOGLENS_WEB_DIR: dist,
        LOGLENS_COLLECTOR_WORKERS: '1',
      },
      stdio: ['ignore', output, output],
    },
  );
  try {
    await waitForUp(child, logPath, 120);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  project.provide('agentUrl', `http://127.0.0.1:${agent}`);
  project.provide('collectorUrl', `http://127.0.0.1:${http}`);
  project.provide('distDir', dist);
  project.provide('loglensLog', logPath);

  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
}
