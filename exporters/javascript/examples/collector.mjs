// The simple client API: `node examples/collector.mjs` (LOGLENS_URL, default http://localhost:4318).
import { LogCollector } from 'loglens-exporter';

const collector = new LogCollector({
  serverUrl: process.env.LOGLENS_URL ?? 'http://localhost:4318',
  service: 'api-server',
  environment: 'development',
  batchSize: 100,
  flushInterval: 5000,
});

collector.log('ERROR', 'api-server', 'DB connection failed', { traceId: 'abc123', userId: 'user_001' });
collector.info('api-server', 'GET /api/v1/orders', { method: 'GET', path: '/api/v1/orders', durationMs: 12.5 });
collector.warn('api-server', 'slow query', { durationMs: 2300, metadata: { table: 'orders' } });
try {
  JSON.parse('{ not json');
} catch (error) {
  collector.error('api-server', 'could not read the config', { error });
}
await collector.close(); // sends what is queued (also done on beforeExit and SIGTERM)
console.log(collector.stats());
