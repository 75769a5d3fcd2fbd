/**
 * The anomaly demo in the app (dev server, Chromium): start a synthetic stream, see scores and
 * points/s arrive from the engine worker (sensor micro model), inject an anomaly, toggle
 * adaptation — without console errors.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';

let h: BrowserHarness;
let page: Page;
const errors: string[] = [];
beforeAll(async () => {
  h = await openBrowser();
  page = await (await h.page.context().browser()!.newContext()).newPage();
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
}, 180_000);
afterAll(() => h?.close());

describe('anomaly demo', () => {
  it('streams a synthetic series through the detector and reports points/s', async () => {
    await page.goto(`${h.url}/#anomaly`);
    await page.getByTestId('start').click();
    const stats = page.getByTestId('anomaly-stats');
    await expect.poll(async () => (await stats.textContent()) ?? '', { timeout: 90_000 }).toMatch(/streaming two-sines · [\d,]+ points\/s/);
    await page.getByTestId('inject').click();
    await page.getByTestId('adapt').uncheck();
    await page.waitForTimeout(1000);
    expect(await stats.textContent()).toMatch(/points\/s/);
    await page.screenshot({ path: 'test-results/anomaly-demo.png' });
    expect(errors).toEqual([]);
  }, 180_000);

  it('streams a bundled NAB series', async () => {
    await page.getByTestId('anomaly-stop').click();
    await page.getByTestId('source').selectOption('nab');
    await page.getByTestId('start').click();
    const stats = page.getByTestId('anomaly-stats');
    await expect.poll(async () => (await stats.textContent()) ?? '', { timeout: 90_000 }).toMatch(/streaming realKnownCause\/nyc_taxi\.csv · [\d,]+ points\/s/);
    // Taxi counts reach 5 digits: the value axis is wide enough for a "30,000" tick label (it was
    // a fixed 50 px, which cut the labels to "0,000").
    const fit = await page.evaluate(() => {
      const over = document.querySelector('.anomaly-demo .u-over') as HTMLElement;
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif'; // uPlot's axis font
      return { left: over.offsetLeft, label: ctx.measureText('30,000').width };
    });
    expect(fit.left).toBeGreaterThanOrEqual(fit.label + 10);
    expect(errors).toEqual([]);
  }, 180_000);

  it('leaving the view stops the stream (its points stay); back in the view, after a resize while hidden, the chart fills its width again', async () => {
    const stats = page.getByTestId('anomaly-stats');
    await expect.poll(async () => (await stats.textContent()) ?? '').toMatch(/streaming/);
    await page.getByRole('link', { name: 'Backends' }).click();
    await page.setViewportSize({ width: 1000, height: 800 }); // while the chart cannot measure itself
    await page.getByRole('link', { name: 'Anomaly' }).click();
    await expect.poll(async () => (await stats.textContent()) ?? '').toMatch(/stopped: realKnownCause\/nyc_taxi\.csv at point [\d,]+/);
    const widths = await page.evaluate(() => ({
      chart: (document.querySelector('.anomaly-demo .chart') as HTMLElement).clientWidth,
      plot: (document.querySelector('.anomaly-demo .uplot') as HTMLElement).offsetWidth,
    }));
    expect(widths.chart).toBeGreaterThan(300);
    expect(Math.abs(widths.plot - widths.chart)).toBeLessThanOrEqual(2);
    await page.getByTestId('start').waitFor(); // and it can be started again
    expect(errors).toEqual([]);
  }, 120_000);
});
