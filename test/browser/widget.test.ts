/**
 * The embeddable widget (embed.html) in Chromium, driven by a host page over postMessage: it
 * streams a generation as token messages whose text is exactly the greedy continuation of the
 * built-in micro model computed in Node, stops on request (ABORTED), answers bad requests with
 * typed errors, and ignores hosts outside its `?origin=` list.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import { openMicroText } from '../../src/engine/model-manager.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TEXT_MODEL = join(ROOT, 'public/models/text.safetensors');
const SHOTS = resolve(ROOT, 'test-results');

interface Msg {
  sparrow: 1;
  id?: number;
  type: string;
  text?: string;
  tokens?: number;
  result?: { text: string; tokens: number; finishReason: string };
  error?: { code: string; message: string };
}

/** In the host page: embed the widget, send `requests` one after another, collect every reply until each id has a final message. */
async function talk(page: Page, src: string, requests: Array<Record<string, unknown>>, opts: { stopAfterTokens?: number; quietMs?: number } = {}): Promise<{ ready: boolean; messages: Msg[] }> {
  return page.evaluate(
    async ({ src, requests, opts }) => {
      const frame = document.createElement('iframe');
      frame.src = src;
      frame.style.cssText = 'width:420px;height:360px;border:1px solid #ccc';
      const messages: Msg[] = [];
      let ready = false;
      let onMsg: (() => void) | undefined;
      addEventListener('message', (e: MessageEvent) => {
        if (e.source !== frame.contentWindow) return;
        const d = e.data as Msg;
        if (d.type === 'ready') ready = true;
        else messages.push(d);
        onMsg?.();
      });
      const until = (pred: () => boolean, ms: number) =>
        new Promise<boolean>((res) => {
          const t = setTimeout(() => res(false), ms);
          const check = () => pred() && (clearTimeout(t), res(true));
          onMsg = check;
          check();
        });
      document.body.append(frame);
      // A cold dev server compiles the widget's modules first: allow for a slow start on a busy machine.
      await until(() => ready, opts.quietMs ?? 90_000);
      if (!ready && opts.quietMs === undefined) return { ready, messages };
      for (const r of requests) {
        frame.contentWindow!.postMessage({ sparrow: 1, ...r }, '*');
        const final = (m: Msg) => m.id === r.id && ['done', 'error', 'result'].includes(m.type);
        if (opts.stopAfterTokens !== undefined && r.type === 'generate') {
          await until(() => messages.filter((m) => m.id === r.id && m.type === 'token').length >= opts.stopAfterTokens!, 30_000);
          frame.contentWindow!.postMessage({ sparrow: 1, id: 999, type: 'stop' }, '*');
        }
        await until(() => messages.some(final), opts.quietMs ?? 60_000);
      }
      return { ready, messages };
    },
    { src, requests, opts },
  ) as Promise<{ ready: boolean; messages: Msg[] }>;
}

describe.skipIf(!existsSync(TEXT_MODEL))('embed widget', () => {
  let h: BrowserHarness;
  let page: Page;
  let origin: string;
  beforeAll(async () => {
    h = await openBrowser();
    origin = new URL(h.url).origin;
  }, 120_000);
  afterAll(() => h?.close());
  const fresh = async () => {
    page = await (await h.page.context().browser()!.newContext()).newPage();
    await page.goto(`${h.url}/test/browser/harness.html`);
  };

  it('streams a greedy generation as token messages equal to the model run in Node', async () => {
    const m = await openMicroText(new Uint8Array(readFileSync(TEXT_MODEL)), 'text');
    let expected = '';
    const ref = await m.generate([{ role: 'user', content: 'ROMEO:' }], { temperature: 0, repetitionPenalty: 1, maxTokens: 60 }, (d) => (expected += d));
    expect(ref.text).toBe(expected);
    await fresh();
    const { ready, messages } = await talk(page, `/embed.html?origin=${encodeURIComponent(origin)}`, [
      { id: 1, type: 'generate', prompt: 'ROMEO:', options: { temperature: 0, repetitionPenalty: 1, maxTokens: 60 } },
      { id: 2, type: 'generate', prompt: '' },
      { id: 3, type: 'launch-rockets' },
    ]);
    expect(ready).toBe(true);
    const tokens = messages.filter((x) => x.id === 1 && x.type === 'token');
    const done = messages.find((x) => x.id === 1 && x.type === 'done');
    expect(tokens.length).toBeGreaterThan(0);
    expect(done?.result?.tokens).toBe(60);
    expect(tokens.map((t) => t.text).join('')).toBe(done!.result!.text);
    expect(done!.result!.text).toBe(ref.text);
    expect(messages.find((x) => x.id === 2)).toMatchObject({ type: 'error', error: { code: 'INVALID_ARGUMENT' } });
    expect(messages.find((x) => x.id === 3)).toMatchObject({ type: 'error', error: { code: 'INVALID_ARGUMENT' } });
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'widget-host.png') });
  });

  it('stop ends a long generation with ABORTED', async () => {
    await fresh();
    const { messages } = await talk(page, `/embed.html`, [{ id: 1, type: 'generate', prompt: 'KING:', options: { maxTokens: 60000 } }], { stopAfterTokens: 2 });
    const end = messages.find((x) => x.id === 1 && (x.type === 'done' || x.type === 'error'));
    expect(end).toMatchObject({ type: 'error', error: { code: 'ABORTED' } });
    expect(messages.filter((x) => x.id === 1 && x.type === 'token').length).toBeGreaterThanOrEqual(2);
  });

  it('standalone: Enter sends, and the continued prompt is shown (muted) before the reply', async () => {
    await fresh();
    await page.goto(`${h.url}/embed.html`);
    const input = page.getByTestId('widget-input');
    await expect.poll(() => page.getByTestId('widget-status').textContent(), { timeout: 60_000 }).toContain('Sparrow micro');
    await input.fill('ROMEO:');
    await input.press('Enter');
    await page.getByTestId('widget-send').waitFor({ timeout: 60_000 });
    const out = page.getByTestId('widget-reply');
    expect(await out.locator('.echo').textContent()).toBe('ROMEO:');
    expect(((await out.locator('.reply').textContent()) ?? '').length).toBeGreaterThan(0);
    expect(await out.textContent()).toMatch(/^ROMEO:/);
    await page.screenshot({ path: join(SHOTS, 'widget-standalone.png') });
  });

  it('ignores a host whose origin is not in ?origin=', async () => {
    await fresh();
    const { ready, messages } = await talk(page, `/embed.html?origin=${encodeURIComponent('https://allowed.example')}`, [{ id: 1, type: 'capabilities' }], { quietMs: 1500 });
    expect(ready).toBe(false);
    expect(messages).toEqual([]);
  });
});
