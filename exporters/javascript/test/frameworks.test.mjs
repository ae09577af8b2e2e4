// Express and Koa middleware and the NestJS interceptor write one log per request (method,
// route, status, duration, the trace id of `traceparent`), and every log written while a
// request is served carries its trace id and the user set while serving it.
import 'reflect-metadata';

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';

import { LogCollector, setUser } from 'loglens-exporter';
import { loglensExpress, loglensExpressErrors } from 'loglens-exporter/express';
import { loglensKoa } from 'loglens-exporter/koa';
import { LoglensInterceptor } from 'loglens-exporter/nestjs';

import { TRACE_ID, TRACEPARENT, query, startLoglens, uniqueService, waitForRows } from './helpers.mjs';

let loglens;
before(async () => {
  loglens = await startLoglens();
});
after(async () => {
  await loglens.stop();
});

function showUser(collector, service, userId) {
  setUser(userId);
  collector.info(service, 'showing the profile');
  return { user: userId };
}

async function sendRequests(baseUrl) {
  assert.equal((await fetch(`${baseUrl}/users/42?tab=orders`, { headers: { traceparent: TRACEPARENT } })).status, 200);
  assert.equal((await fetch(`${baseUrl}/boom`)).status, 500);
  assert.equal((await fetch(`${baseUrl}/missing`)).status, 404);
}

async function assertRequestLogs(collector, service, route) {
  assert.equal(await collector.flush(10_000), true);
  const rows = await waitForRows(`SELECT * FROM logs WHERE service = '${service}'`, 4);
  assert.equal(rows.length, 4, JSON.stringify(rows, null, 1));
  const requests = Object.fromEntries(
    rows.filter((row) => row.metadata['otel.scope.name'] === 'loglens.requests').map((row) => [row.message.split(' → ')[0], row]),
  );
  assert.deepEqual(Object.keys(requests).sort(), ['GET /boom', 'GET /missing', 'GET /users/42']);

  const shown = requests['GET /users/42'];
  assert.deepEqual([shown.level, shown.method, shown.path, shown.user_id, shown.trace_id], ['INFO', 'GET', route, '42', TRACE_ID]);
  assert.ok(shown.duration_ms >= 0);
  assert.equal(shown.metadata.http_status, 200);
  if (route !== '/users/42') assert.equal(shown.metadata['url.path'], '/users/42');
  const [viewLog] = query(`SELECT * FROM logs WHERE service = '${service}' AND message = 'showing the profile'`);
  assert.deepEqual([viewLog.trace_id, viewLog.user_id], [TRACE_ID, '42']);

  const boom = requests['GET /boom'];
  assert.deepEqual([boom.level, boom.error_type, boom.metadata.http_status], ['ERROR', 'Error', 500]);
  assert.match(boom.stack_trace, /the basket service is down/);
  assert.match(boom.trace_id, /^[0-9a-f]{32}$/);
  assert.notEqual(boom.trace_id, TRACE_ID);

  const missing = requests['GET /missing'];
  assert.deepEqual([missing.level, missing.metadata.http_status], ['WARN', 404]);
}

async function listen(server) {
  await once(server.listen(0, '127.0.0.1'), 'listening');
  return `http://127.0.0.1:${server.address().port}`;
}

test('Express', async () => {
  const { default: express } = await import('express');
  const service = uniqueService('shop-express');
  const collector = new LogCollector({ serverUrl: loglens.url, service, flushInterval: 100 });
  const app = express();
  app.use(loglensExpress(collector));
  app.get('/users/:id', (req, res) => res.json(showUser(collector, service, req.params.id)));
  app.get('/boom', () => {
    throw new Error('the basket service is down');
  });
  app.use(loglensExpressErrors());
  app.use((error, req, res, next) => res.status(500).json({ error: error.message }));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await sendRequests(`http://127.0.0.1:${server.address().port}`);
    await assertRequestLogs(collector, service, '/users/:id');
  } finally {
    server.close();
    await collector.close();
  }
});

test('Koa', async () => {
  const { default: Koa } = await import('koa');
  const service = uniqueService('shop-koa');
  const collector = new LogCollector({ serverUrl: loglens.url, service, flushInterval: 100 });
  const app = new Koa();
  app.silent = true;
  app.use(loglensKoa(collector));
  app.use(async (ctx) => {
    const user = /^\/users\/([^/]+)$/.exec(ctx.path);
    if (user) ctx.body = showUser(collector, service, user[1]);
    else if (ctx.path === '/boom') throw new Error('the basket service is down');
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await sendRequests(`http://127.0.0.1:${server.address().port}`);
    // Koa has no route templates without a router (koa-router's _matchedRoute is used when set).
    await assertRequestLogs(collector, service, '/users/42');
  } finally {
    server.close();
    await collector.close();
  }
});

test('NestJS', async () => {
  const { Controller, Get, Module, NotFoundException, Param } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const service = uniqueService('shop-nest');
  const collector = new LogCollector({ serverUrl: loglens.url, service, flushInterval: 100 });

  class UsersController {
    show(id) {
      return showUser(collector, service, id);
    }
    boom() {
      throw new Error('the basket service is down');
    }
    missing() {
      throw new NotFoundException();
    }
  }
  // Decorators applied by hand: these tests are plain JavaScript.
  Controller()(UsersController);
  const method = (name) => Object.getOwnPropertyDescriptor(UsersController.prototype, name);
  Get('users/:id')(UsersController.prototype, 'show', method('show'));
  Param('id')(UsersController.prototype, 'show', 0);
  Get('boom')(UsersController.prototype, 'boom', method('boom'));
  // Interceptors run for matched routes only: a route that answers 404 itself.
  Get('missing')(UsersController.prototype, 'missing', method('missing'));
  Reflect.defineMetadata('design:paramtypes', [String], UsersController.prototype, 'show');
  class AppModule {}
  Module({ controllers: [UsersController] })(AppModule);

  const app = await NestFactory.create(AppModule, { logger: false });
  app.useGlobalInterceptors(new LoglensInterceptor(collector));
  await app.listen(0, '127.0.0.1');
  try {
    await sendRequests(await app.getUrl());
    await assertRequestLogs(collector, service, '/users/:id');
  } finally {
    await app.close();
    await collector.close();
  }
});
