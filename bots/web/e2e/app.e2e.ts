// The web client against a real `loglens up --demo`, in headless Chromium: ask, explore, tail,
// history; screenshots under e2e/screenshots/ (and docs/screenshot.png for the README).

import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
const SHOTS = resolve(import.meta.dirname, 'screenshots');
const DOCS = resolve(import.meta.dirname, '../../../docs');
const agent = inject('agentUrl');
const collector = inject('collectorUrl');

let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});

afterAll(async () => {
  await browser?.close();
});

async function newPage(options: { width?: number; height?: number; dark?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    colorScheme: options.dark ? 'dark' : 'light',
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('close', () => expect(problems, 'errors in the browser console').toEqual([]));
  return page;
}

async function shot(page: Page, name: string, fullPage = false): Promise<string> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

async function ask(page: Page, question: string): Promise<void> {
  const before = await page.getByTestId('answer').count();
  await page.getByTestId('question-box').fill(question);
  await page.getByTestId('question-box').press('Enter');
  await expect.poll(() => page.getByTestId('answer').count()).toBe(before + 1);
  const answer = page.getByTestId('answer').first();
  await answer.and(page.locator('[data-status=answered]')).waitFor({ timeout: 30_000 });
}

describe('first page', () => {
  it('is under 250 kB of JavaScript (gzip) and interactive within 1 s from a cold load', async () => {
    const dist = inject('distDir');
    const index = readFileSync(join(dist, 'index.html'), 'utf8');
    const scripts = [...index.matchAll(/<script[^>]+src="([^"]+)"|<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)].map(
      (match) => (match[1] ?? match[2])!,
    );
    expect(scripts.length).toBeGreaterThan(0);
    const gzipBytes = scripts.reduce((sum, src) => sum + gzipSync(readFileSync(join(dist, src)), { level: 9 }).length, 0);

    const page = await newPage();
    const loaded: string[] = [];
    page.on('response', (response) => {
      if (response.url().endsWith('.js')) loaded.push(response.url());
    });
    const started = Date.now();
    await page.goto(agent + '/');
    await page.locator('html[data-ready=ask]').waitFor();
    const wallMs = Date.now() - started;
    const interactiveMs = await page.evaluate(() => performance.getEntriesByName('loglens:interactive')[0]!.startTime);
    await page.getByTestId('question-box').pressSequentially('hello');
    await expect.poll(() => page.getByTestId('question-box').inputValue()).toBe('hello');
    // ECharts is not part of the first page: it comes with the first chart.
    expect(loaded.some((url) => url.includes('echarts'))).toBe(false);
    console.log(
      `\nfirst page JavaScript: ${(gzipBytes / 1024).toFixed(1)} kB gzip (${scripts.length} file${scripts.length > 1 ? 's' : ''})` +
        `\nAsk page interactive ${interactiveMs.toFixed(0)} ms after navigation start (cold load; ${wallMs} ms wall clock from goto)`,
    );
    expect(gzipBytes).toBeLessThan(250 * 1024);
    expect(interactiveMs).toBeLessThan(1000);
    await shot(page, 'ask-empty');
    await page.close();
  });
});

describe('ask', () => {
  it('streams an answer: SQL, table, chart and insight; earlier answers stay', async () => {
    const page = await newPage();
    await page.goto(agent + '/');
    await ask(page, 'How many errors happened in the last hour?');
    const first = page.getByTestId('answer').first();
    await expect.poll(() => first.getByTestId('sql').textContent()).toMatch(/SELECT[\s\S]*FROM logs/);
    expect(await first.locator('.tok-keyword').count()).toBeGreaterThan(2);
    expect(await first.getByTestId('stat').textContent()).toMatch(/\d/);
    expect(await first.getByTestId('insight').textContent()).toMatch(/error/i);

    await ask(page, '지난 24시간 서비스별 에러 수 보여줘');
    const korean = page.getByTestId('answer').first();
    await korean.locator('[data-testid=chart][data-ready=true]').waitFor();
    expect(await korean.locator('canvas').count()).toBeGreaterThan(0);
    expect(await korean.getByTestId('result-table').locator('tbody tr').count()).toBeGreaterThan(3);
    expect(await korean.getByTestId('insight').textContent()).toMatch(/[가-힣]/);
    await expect.poll(() => page.getByTestId('answer').count()).toBe(2);
    await shot(page, 'ask-answers', true);
    // The README's picture: refreshed with LOGLENS_DOCS_SCREENSHOT=1 (so that a test run leaves
    // the checkout clean), else kept beside the others.
    await page.setViewportSize({ width: 1280, height: 1000 });
    const readme = process.env.LOGLENS_DOCS_SCREENSHOT === '1' ? join(DOCS, 'screenshot.png') : join(SHOTS, 'readme.png');
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: readme });
    // Sorting the table by a column
    await korean.getByRole('button', { name: 'service' }).click();
    const services = await korean.getByTestId('result-table').locator('tbody tr td:first-child').allTextContents();
    expect(services).toEqual([...services].sort((a, b) => a.localeCompare(b)));

    // The chart kinds: a line over time
    await ask(page, 'Error count per hour over the last 24 hours');
    await page.getByTestId('answer').first().locator('[data-testid=chart][data-ready=true]').waitFor();
    await page.close();
  });

  it('says so in words when the server cannot be reached, with a retry', async () => {
    const page = await newPage();
    await page.goto(agent + '/');
    await page.locator('html[data-ready=ask]').waitFor();
    await page.route('**/ws/query', (route) => route.abort());
    await page.routeWebSocket('**/ws/query', (socket) => socket.close());
    await page.route('**/history**', (route) => route.abort());
    await page.getByTestId('question-box').fill('How many errors happened in the last hour?');
    await page.getByTestId('question-box').press('Enter');
    const alert = page.getByTestId('answer').first().getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Cannot reach the loglens server|connection dropped/);
    expect(await alert.getByRole('button', { name: 'Retry' }).count()).toBe(1);
    await shot(page, 'ask-unreachable');
    page.removeAllListeners('close');
    await page.close();
  });

  it('fits a phone and renders dark mode', async () => {
    const page = await newPage({ width: 390, height: 844, dark: true });
    await page.goto(agent + '/');
    await ask(page, '지난 24시간 서비스별 에러 수 보여줘');
    await page.getByTestId('answer').first().locator('[data-testid=chart][data-ready=true]').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true);
    await shot(page, 'ask-phone-dark', true);
    await page.close();
  });
});

describe('explore', () => {
  it('filters by level and service: the histogram and the list follow', async () => {
    const page = await newPage();
    await page.goto(agent + '/explore');
    const total = page.getByTestId('volume-total');
    await page.locator('[data-testid=chart][data-ready=true]').waitFor();
    await page.getByTestId('log-row').first().waitFor();
    const everything = await total.textContent();
    const levels = new Set(await page.getByTestId('log-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-level'))));
    expect(levels.size).toBeGreaterThan(1);

    await page.getByTestId('facet-level').getByRole('checkbox', { name: /ERROR/ }).check();
    await expect.poll(() => total.textContent()).not.toBe(everything);
    await expect
      .poll(async () => new Set(await page.getByTestId('log-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-level')))))
      .toEqual(new Set(['ERROR']));
    const errors = await total.textContent();
    expect(page.url()).toContain('level=ERROR');

    await page.getByTestId('facet-service').getByRole('checkbox', { name: /payment-api/ }).check();
    await expect.poll(() => total.textContent()).not.toBe(errors);
    await expect
      .poll(async () => new Set(await page.locator('[data-testid=log-row] button span.hidden').allTextContents()))
      .toEqual(new Set(['payment-api']));
    await page.getByTestId('log-row').first().getByRole('button').first().click();
    const detail = page.getByTestId('log-detail');
    await detail.waitFor();
    expect(await detail.getByTestId('stack-trace').textContent()).toMatch(/Traceback|Error/);
    expect(await detail.getByTestId('metadata').textContent()).toContain('"host"');
    await shot(page, 'explore-filtered');

    // A trace id (or user id: not every log has a trace) is a link that filters by it.
    const link = detail.getByTitle(/Show only logs with this (trace_id|user_id)/).first();
    const field = (await link.getAttribute('title'))!.split(' ').pop()!;
    const id = (await link.textContent())!.trim();
    await link.click();
    await expect.poll(() => page.url()).toContain(`${field}=${id}`);
    await expect.poll(() => page.getByTestId('log-row').count()).toBeGreaterThanOrEqual(1);
    await page.close();
  });

  it('searches message text, Korean included', async () => {
    const page = await newPage({ dark: true });
    await page.goto(agent + '/explore?range=7d');
    await page.getByTestId('log-row').first().waitFor();
    await page.getByTestId('search').fill('DatabaseConnectionTimeout');
    await expect.poll(() => page.url()).toContain('q=DatabaseConnectionTimeout');
    await expect
      .poll(async () => (await page.getByTestId('log-message').allTextContents()).every((text) => text.includes('DatabaseConnectionTimeout')))
      .toBe(true);
    await page.locator('[data-testid=chart][data-ready=true]').waitFor();
    await shot(page, 'explore-search-dark');
    await page.close();
  });
});

describe('live tail', () => {
  it('shows a log exported during the test, and pauses', async () => {
    const page = await newPage();
    await page.goto(agent + '/live');
    await page.locator('[data-testid=tail-status][data-state=live]').waitFor();
    const marker = `e2e tail 실시간 ${Date.now()}`;
    const response = await fetch(`${collector}/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        logs: [{ level: 'ERROR', service: 'e2e-service', message: marker, trace_id: 'e2e0000000000000000000000000beef' }],
      }),
    });
    expect(response.status).toBe(200);
    await page.getByTestId('log-message').filter({ hasText: marker }).waitFor({ timeout: 10_000 });
    await page.getByTestId('pause').click();
    await page.locator('[data-testid=tail-status][data-state=paused]').waitFor();
    await shot(page, 'live-tail');
    await page.close();
  });
});

describe('history', () => {
  it('lists the questions asked, and one click asks again', async () => {
    const page = await newPage();
    await page.goto(agent + '/questions');
    const item = page.getByTestId('history-item').filter({ hasText: 'How many errors happened in the last hour?' }).first();
    await item.waitFor();
    expect(await item.textContent()).toContain('answered');
    await shot(page, 'history');
    await item.getByRole('button', { name: 'Ask again' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/');
    await page.getByTestId('answer').and(page.locator('[data-status=answered]')).waitFor();
    expect(await page.getByTestId('question').first().textContent()).toBe('How many errors happened in the last hour?');
    await page.close();
  });
});
