// Express with one log per request: `node examples/express-app.mjs` (npm install express).
import express from 'express';
import { LogCollector, setUser } from 'loglens-exporter';
import { loglensExpress, loglensExpressErrors } from 'loglens-exporter/express';

const collector = new LogCollector({
  serverUrl: process.env.LOGLENS_URL ?? 'http://localhost:4318',
  service: 'orders-api',
  captureUncaught: true,
});
const app = express();
app.use(loglensExpress(collector));

app.get('/orders/:id', (req, res) => {
  setUser('user_0042'); // e.g. from your authentication: on every log of this request
  collector.info('orders-api', 'order looked up', { metadata: { orderId: req.params.id } });
  res.json({ id: req.params.id });
});
app.get('/boom', () => {
  throw new Error('the inventory service is down');
});

app.use(loglensExpressErrors());
app.use((error, req, res, next) => res.status(500).json({ error: error.message }));
app.listen(3000, () => console.log('http://localhost:3000/orders/7'));
