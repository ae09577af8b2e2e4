// Koa with one log per request: `node examples/koa-app.mjs` (npm install koa).
import Koa from 'koa';
import { LogCollector } from 'loglens-exporter';
import { loglensKoa } from 'loglens-exporter/koa';

const collector = new LogCollector({ serverUrl: process.env.LOGLENS_URL ?? 'http://localhost:4318', service: 'catalog-api' });
const app = new Koa();
app.use(loglensKoa(collector));
app.use(async (ctx) => {
  if (ctx.path === '/boom') throw new Error('the search index is unavailable');
  ctx.body = { path: ctx.path };
});
app.listen(3001, () => console.log('http://localhost:3001/products/7'));
