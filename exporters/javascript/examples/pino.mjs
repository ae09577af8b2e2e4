// pino, shipped through the transport: `node examples/pino.mjs` (npm install pino).
import pino from 'pino';

const transport = pino.transport({
  target: 'loglens-exporter/pino',
  options: { serverUrl: process.env.LOGLENS_URL ?? 'http://localhost:4318', service: 'worker', environment: 'development' },
});
const logger = pino(transport);
logger.info({ userId: 'user_0042', durationMs: 84 }, 'invoice sent');
logger.error({ err: new Error('SMTP server refused the connection') }, 'could not send the receipt');
transport.end(); // sends what is queued
