// The reading of an answer (what its SQL computes, in the question's language) in the web client,
// against a real `loglens up --demo` with the offline engine, in headless Chromium.

import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'];
const agent = inject('agentUrl');

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});

afterAll(async () => {
  await browser?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('close', () => expect(problems, 'errors in the browser console').toEqual([]));
  return page;
}

async function ask(page: Page, question: string): Promise<void> {
  const before = await page.getByTestId('answer').count();
  await page.getByTestId('question-box').fill(question);
  await page.getByTestId('question-box').press('Enter');
  await expect.poll(() => page.getByTestId('answer').count()).toBe(before + 1);
  await page.getByTestId('answer').first().and(page.locator('[data-status=answered]')).waitFor({ timeout: 30_000 });
}

describe('the reading', () => {
  it('says what was computed, above the SQL, in the language of the question', async () => {
    const page = await newPage();
    await page.goto(agent + '/');

    await ask(page, 'How many errors happened in the last hour?');
    const english = page.getByTestId('answer').first();
    expect(await english.getByTestId('reading').textContent()).toMatch(/^\s*Read as:\s*Number of errors, last hour\s*$/);
    const reading = (await english.getByTestId('reading').boundingBox())!;
    const sql = (await english.getByTestId('sql').boundingBox())!;
    expect(reading.y + reading.height).toBeLessThanOrEqual(sql.y); // above the SQL

    await ask(page, '지난 24시간 서비스별 에러 수 보여줘');
    const korean = page.getByTestId('answer').first();
    expect(await korean.getByTestId('reading').textContent()).toMatch(/Read as:\s*에러 수, 최근 24시간, 서비스별/);
    // each answer keeps its own reading
    expect(await page.getByTestId('reading').count()).toBe(2);
    await page.close();
  });
});
