// In Chromium, a page using the browser build (<script> bundle) logs, throws an uncaught
// error, and is left: both the error (window.onerror) and the last log (sent on pagehide,
// with keepalive) land, as FRONTEND logs with the page path and the browser and device.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { startLoglens, uniqueService, waitForRows } from './helpers.mjs';

const BUNDLE = readFileSync(new URL('../dist/browser/loglens-exporter.global.js', import.meta.url));
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let site;
let siteUrl;
let loglens;
let browser;

function page(collectorUrl, service) {
  return `<!doctype html>
<html><head><title>cart</title><script src="/loglens-exporter.global.js"></script></head>
<body>
  <button id="checkout">Checkout</button>
  <script>
    const collector = new LoglensExporter.LogCollector({
      serverUrl: ${JSON.stringify(collectorUrl)},
      service: ${JSON.stringify(service)},
      environment: 'production',
      captureErrors: true,
      flushInterval: 600000, // nothing leaves before the page is hidden
    });
    collector.setUser('user_0042');
    collector.setSession('sess_17');
    collector.info(undefined, 'cart page shown', { actionType: 'view' });
    document.getElementById('checkout').addEventListener('click', () => {
      collector.info(undefined, 'checkout clicked', { actionType: 'click' });
      const cart = undefined;
      cart.items.push('book'); // TypeError, uncaught
    });
  </script>
</body></html>`;
}

before(async () => {
  site = createServer((request, response) => {
    if (request.url === '/loglens-exporter.global.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(BUNDLE);
    } else if (request.url.startsWith('/shop/cart')) {
      const service = new URL(request.url, siteUrl).searchParams.get('service');
      response.writeHead(200, { 'Content-Type': 'text/html' }).end(page(loglens.url, service));
    } else {
      response.writeHead(404).end();
    }
  });
  site.listen(0, '127.0.0.1');
  await once(site, 'listening');
  siteUrl = `http://127.0.0.1:${site.address().port}`;
  // Another origin than the collector's: the page's requests are CORS requests.
  loglens = await startLoglens({ env: { LOGLENS_CORS_ORIGINS: siteUrl } });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
});

after(async () => {
  await browser?.close();
  await loglens?.stop();
  site?.close();
});

test('an uncaught error and the last logs of a page that is left both land', async () => {
  const service = uniqueService('web-frontend');
  const tab = await browser.newPage();
  const errors = [];
  tab.on('pageerror', (error) => errors.push(error.message));
  await tab.goto(`${siteUrl}/shop/cart?service=${service}`);
  await tab.click('#checkout');
  assert.equal(errors.length, 1, 'the page throws, uncaught');
  // Leaving the page fires pagehide: the queued logs go out with keepalive.
  await tab.goto('about:blank');

  const rows = await waitForRows(`SELECT * FROM logs WHERE service = '${service}' ORDER BY created_at`, 3);
  assert.equal(rows.length, 3, JSON.stringify(rows, null, 1));
  const byMessage = Object.fromEntries(rows.map((row) => [row.message.split(':')[0], row]));
  for (const row of rows) {
    assert.deepEqual([row.log_type, row.environment, row.path], ['FRONTEND', 'production', '/shop/cart']);
    assert.deepEqual([row.user_id, row.session_id], ['user_0042', 'sess_17']);
    assert.match(row.metadata.browser, /^Chrom(e|ium) \d+$/);
    assert.equal(row.metadata.device, 'desktop');
  }
  assert.deepEqual([byMessage['cart page shown'].action_type, byMessage['checkout clicked'].action_type], ['view', 'click']);
  const error = rows.find((row) => row.level === 'ERROR');
  assert.equal(error.error_type, 'TypeError');
  assert.match(error.message, /Cannot read properties of undefined \(reading 'items'\)/);
  assert.match(error.stack_trace, /TypeError: Cannot read properties of undefined/);
  await tab.close();
});

test('a page hidden (tab switched away) sends its logs too', async () => {
  const service = uniqueService('web-frontend');
  const tab = await browser.newPage();
  await tab.goto(`${siteUrl}/shop/cart?service=${service}`);
  // What a browser does when the tab goes to the background.
  await tab.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const rows = await waitForRows(`SELECT message FROM logs WHERE service = '${service}'`, 1);
  assert.deepEqual(rows.map((row) => row.message), ['cart page shown']);
  await tab.close();
});
