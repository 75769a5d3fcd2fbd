/**
 * The Chat tab in Chromium, end to end through the engine worker: the built-in micro model
 * streams text and stops on Stop; a fixture model loaded from picked files generates the same
 * greedy text as the reference backend in Node, is cached in IndexedDB, survives a reload and can
 * be deleted; a truncated .gguf and a full quota give visible typed errors and leave the cache
 * intact.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { openModelFiles } from '../../src/engine/model-manager.ts';
import { tinyGguf, tinyShape } from '../helpers/tiny-llamas.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = resolve(ROOT, 'test-results');
const FIX = resolve(ROOT, 'test/fixtures/models');
const MAMBA = [join(FIX, 'mamba-tiny/config.json'), join(FIX, 'mamba-tiny/model.safetensors')];
const RWKV = [join(FIX, 'rwkv4-tiny/config.json'), join(FIX, 'rwkv4-tiny/model.safetensors')];
const HAS_TEXT_MODEL = existsSync(join(ROOT, 'public/models/text.safetensors'));
const PROMPT = 'Hello, Sparrow';
const GREEDY_TOKENS = 24;

function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push(`worker console: ${m.text()}`)));
  return errors;
}

/** The greedy continuation of PROMPT by mamba-tiny on the reference backend (f64 accumulation). */
async function referenceGreedy(): Promise<string> {
  const files = MAMBA.map((p) => ({ name: p.split('/').pop()!, blob: new Blob([readFileSync(p)]) }));
  const m = await openModelFiles(new ReferenceBackend(), 'reference', files);
  const r = await m.generate([{ role: 'user', content: PROMPT }], { maxTokens: GREEDY_TOKENS, temperature: 0, repetitionPenalty: 1 }, () => {});
  m.dispose();
  return r.text;
}

describe('chat tab', () => {
  let h: BrowserHarness;
  let page: Page;
  let errors: string[];
  let tmp: string;
  let expected: string;

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `chat-${name}.png`), fullPage: true });
  const info = () => page.getByTestId('model-info');
  const optionTexts = () => page.getByTestId('model-select').locator('option').allTextContents();
  const lastReply = () => page.getByTestId('assistant-message').last().locator('.reply');

  async function setGreedy(maxTokens: number) {
    await page.getByTestId('sampling').locator('summary').click();
    await page.getByTestId('temperature').fill('0');
    await page.getByLabel('Repetition penalty').fill('1');
    await page.getByTestId('max-tokens').fill(String(maxTokens));
    await page.getByTestId('sampling').locator('summary').click();
  }

  async function ask(text: string): Promise<string> {
    const before = await page.getByTestId('assistant-message').count();
    await page.getByTestId('chat-input').fill(text);
    await page.getByTestId('send').click();
    await expect.poll(() => page.getByTestId("assistant-message").count(), { timeout: 30_000 }).toBe(before + 1);
    await page.getByTestId('send').waitFor({ timeout: 60_000 }); // Send comes back when the reply is done
    return (await lastReply().textContent()) ?? '';
  }

  async function loadFiles(paths: string[]) {
    await page.getByTestId('model-files').setInputFiles(paths);
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    tmp = mkdtempSync(join(tmpdir(), 'sparrow-chat-'));
    expected = await referenceGreedy();
    h = await openBrowser();
    page = await (await h.page.context().browser()!.newContext()).newPage();
    await page.setViewportSize({ width: 1100, height: 900 });
    errors = collectErrors(page);
    await page.goto(`${h.url}/#chat`);
    // Start from an empty cache (the browser context is fresh, but be explicit).
    await page.waitForFunction(() => (globalThis as Record<string, unknown>).__sparrowEngine !== undefined);
    // The tab loads the built-in model on open: let that settle (loaded, or an error if it is not built).
    await page.locator('[data-testid=model-info], [data-testid=load-error]').first().waitFor({ timeout: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Send a long request, watch the reply grow, press Stop: the reply ends and stays as it was. */
  async function streamAndStop(prompt: string) {
    await page.getByTestId('sampling').locator('summary').click();
    await page.getByTestId('temperature').fill('0.8');
    await page.getByTestId('max-tokens').fill('60000');
    await page.getByTestId('sampling').locator('summary').click();
    await page.getByTestId('chat-input').fill(prompt);
    await page.getByTestId('send').click();
    await page.getByTestId('stop').waitFor();
    // Streaming: the reply grows over several observations while Stop is shown.
    const lengths = new Set<number>();
    for (let i = 0; i < 100 && lengths.size < 3; i++) {
      const n = ((await lastReply().textContent()) ?? '').length;
      if (n > 0) lengths.add(n);
      await page.waitForTimeout(20);
    }
    expect(lengths.size).toBeGreaterThanOrEqual(3);
    await page.getByTestId('stop').click();
    await page.getByTestId('send').waitFor({ timeout: 10_000 });
    const stoppedAt = ((await lastReply().textContent()) ?? '').length;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(await page.getByTestId('assistant-message').last().textContent()).toContain('stopped');
    await page.waitForTimeout(300);
    expect(((await lastReply().textContent()) ?? '').length).toBe(stoppedAt);
    expect(await page.getByTestId('tokens-per-sec').textContent()).toMatch(/\d+(\.\d)? tokens\/s/);
  }

  it.skipIf(!HAS_TEXT_MODEL)('the built-in micro model streams text, and Stop ends the reply', async () => {
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toContain('micro');
    await streamAndStop('ROMEO:');
    await shot('micro');
    expect(errors).toEqual([]);
  });

  it.skipIf(!HAS_TEXT_MODEL)('an emptied sampling field is named before sending; the prompt is kept and no empty reply is left', async () => {
    const before = await page.getByTestId('assistant-message').count();
    await page.getByTestId('sampling').locator('summary').click();
    await page.getByTestId('temperature').fill('');
    await page.getByTestId('sampling').locator('summary').click(); // closed: the refusal opens it again
    await page.getByTestId('chat-input').fill('JULIET:');
    await page.getByTestId('chat-input').press('Enter');
    const err = page.getByTestId('chat-error');
    await err.waitFor({ timeout: 10_000 });
    expect(await err.textContent()).toContain('Temperature is empty');
    expect(await page.getByTestId('chat-input').inputValue()).toBe('JULIET:');
    expect(await page.getByTestId('assistant-message').count()).toBe(before);
    expect(await page.getByTestId('temperature').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('temperature').isVisible()).toBe(true);
    await page.getByTestId('temperature').fill('0.8');
    expect(await page.getByTestId('temperature').getAttribute('aria-invalid')).toBe('false');
    await page.getByTestId('max-tokens').fill('8');
    await page.getByTestId('sampling').locator('summary').click(); // closed again, as the other tests expect
    await page.getByTestId('send').click();
    await page.getByTestId('send').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('assistant-message').count()).toBe(before + 1);
    expect(await page.getByTestId('chat-error').count()).toBe(0);
    expect(((await lastReply().textContent()) ?? '').length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it.skipIf(!HAS_TEXT_MODEL)('Enter that confirms an IME composition does not send; Shift+Enter adds a line; Enter sends', async () => {
    const before = await page.getByTestId('user-message').count();
    const input = page.getByTestId('chat-input');
    await input.fill('ROMEO');
    await input.dispatchEvent('keydown', { key: 'Enter', isComposing: true, bubbles: true, cancelable: true });
    await input.press('Shift+Enter');
    await page.waitForTimeout(200);
    expect(await page.getByTestId('user-message').count()).toBe(before);
    expect(await input.inputValue()).toBe('ROMEO\n');
    await input.press('Enter');
    await expect.poll(() => page.getByTestId('user-message').count()).toBe(before + 1);
    await page.getByTestId('send').waitFor({ timeout: 30_000 });
    expect(await input.inputValue()).toBe('');
  });

  it.skipIf(!HAS_TEXT_MODEL)('the conversation and the settings survive a reload', async () => {
    const texts = async (id: string) => page.getByTestId(id).allTextContents();
    await page.waitForTimeout(700); // saves are batched every half second
    const users = await texts('user-message');
    const replies = await page.getByTestId('assistant-message').locator('.reply').allTextContents();
    const maxTokens = await page.getByTestId('max-tokens').inputValue();
    expect(users.length).toBeGreaterThan(0);
    // the thinking switch (Qwen3 / 3.5 templates) is a setting like the others
    await page.getByTestId('sampling').locator('summary').click();
    await page.getByTestId('thinking').uncheck();
    await page.getByTestId('sampling').locator('summary').click();
    await page.waitForTimeout(700);
    await page.reload();
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toContain('micro');
    expect(await texts('user-message')).toEqual(users);
    expect(await page.getByTestId('assistant-message').locator('.reply').allTextContents()).toEqual(replies);
    await page.getByTestId('sampling').locator('summary').click();
    expect(await page.getByTestId('max-tokens').inputValue()).toBe(maxTokens);
    expect(await page.getByTestId('thinking').isChecked()).toBe(false);
    await page.getByTestId('thinking').check();
    await page.getByTestId('sampling').locator('summary').click();
    expect(await page.getByTestId('save-note').count()).toBe(0);
  });

  it.skipIf(!HAS_TEXT_MODEL)('Regenerate replaces the last reply with another draw to the same message', async () => {
    const replies = () => page.getByTestId('assistant-message').locator('.reply').allTextContents();
    const users = await page.getByTestId('user-message').allTextContents();
    const before = await replies();
    await page.getByTestId('regenerate').click();
    await page.getByTestId('send').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('regenerate').isEnabled()).toBe(true);
    const after = await replies();
    expect(await page.getByTestId('user-message').allTextContents()).toEqual(users);
    expect(after.length).toBe(before.length);
    expect(after.slice(0, -1)).toEqual(before.slice(0, -1));
    expect(after[after.length - 1]).not.toBe(before[before.length - 1]); // temperature 0.8, seed + 1
    expect(after[after.length - 1].length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it.skipIf(!HAS_TEXT_MODEL)('Edit last takes the last message back into the box (its reply goes); sending the changed text replies to it; a draft in the box is never overwritten', async () => {
    const input = page.getByTestId('chat-input');
    // the bubbles' text as shown, without the template's surrounding white space
    const shown = async () => (await page.getByTestId('user-message').allTextContents()).map((t) => t.trim());
    const users = await shown();
    const replies = await page.getByTestId('assistant-message').count();
    expect(users.length).toBeGreaterThan(0);
    await input.fill('a draft');
    expect(await page.getByTestId('edit-last').isDisabled()).toBe(true);
    await input.fill('');
    await page.getByTestId('edit-last').click();
    expect((await input.inputValue()).trim()).toBe(users[users.length - 1]);
    expect(await shown()).toEqual(users.slice(0, -1));
    expect(await page.getByTestId('assistant-message').count()).toBe(replies - 1);
    await input.fill('JULIET:');
    await page.getByTestId('send').click();
    await expect.poll(shown).toEqual([...users.slice(0, -1), 'JULIET:']);
    await page.getByTestId('send').waitFor({ timeout: 30_000 });
    const last = page.getByTestId('assistant-message').last().locator('.reply');
    expect(((await last.textContent()) ?? '').length).toBeGreaterThan(0);
    expect(await page.getByTestId('assistant-message').count()).toBe(replies);
    expect(errors).toEqual([]);
  });

  it.skipIf(!HAS_TEXT_MODEL)('a reply streaming when the Chat view is left goes on while another view shows; back in the view Stop ends it and the next message gets its reply', async () => {
    await page.getByTestId('sampling').locator('summary').click();
    await page.getByTestId('temperature').fill('0.8');
    await page.getByTestId('max-tokens').fill('60000');
    await page.getByTestId('sampling').locator('summary').click();
    await page.getByTestId('chat-input').fill('ROMEO:');
    await page.getByTestId('send').click();
    await page.getByTestId('stop').waitFor();
    await expect.poll(async () => ((await lastReply().textContent()) ?? '').length).toBeGreaterThan(0);
    // the built-in micro model writes on until max tokens: still streaming when the view is left
    await page.getByTestId('stop').waitFor();
    await page.getByRole('link', { name: 'Anomaly' }).click();
    await page.getByTestId('start').waitFor(); // the Anomaly view shows
    // the (hidden) reply keeps growing while the other view shows
    const atLeave = ((await lastReply().textContent()) ?? '').length;
    await expect.poll(async () => ((await lastReply().textContent()) ?? '').length, { timeout: 30_000 }).toBeGreaterThan(atLeave + 20);
    expect(await page.getByTestId('chat-input').isVisible()).toBe(false);
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByTestId('stop').click(); // still streaming: its Stop is there
    await expect.poll(() => page.getByTestId('assistant-message').last().locator('.meta').textContent()).toContain('stopped');
    // a new message is answered, no error
    await setGreedy(8);
    expect(await ask('JULIET:')).not.toBe('');
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it.skipIf(!HAS_TEXT_MODEL)('changing the backend under the built-in model says why nothing reloads', async () => {
    await page.getByTestId('backend-select').selectOption('webgpu');
    expect(await page.getByTestId('backend-note').textContent()).toContain('built-in model always runs');
    expect(await page.getByTestId('model-engine').textContent()).toBe('micro-wasm');
  });

  it('loads a model from picked files (wasm), matches the reference greedy text, and caches it', async () => {
    await page.getByTestId('backend-select').selectOption('wasm');
    await loadFiles(MAMBA);
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toContain('mamba');
    expect(await page.getByTestId('model-engine').textContent()).toBe('wasm');
    await expect.poll(() => info().textContent(), { timeout: 30_000 }).toMatch(/weights \d/);
    await expect.poll(optionTexts, { timeout: 30_000 }).toEqual(expect.arrayContaining([expect.stringMatching(/^model\.safetensors · mamba · .* · cached$/)]));
    await setGreedy(GREEDY_TOKENS);
    const got = await ask(PROMPT);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toBe(expected);
    await shot('mamba-files');
    expect(errors).toEqual([]);
  });

  it('a loaded model streams tokens and Stop ends the reply within a token', async () => {
    await streamAndStop('Once upon a time');
    await shot('mamba-stopped');
    expect(errors).toEqual([]);
  });

  it('leaving the Chat view and coming back keeps the loaded model and its state: nothing reloads, and the next turn continues from the previous one', async () => {
    await setGreedy(8);
    await ask('Once upon');
    const line = await info().textContent();
    await page.getByRole('link', { name: 'Anomaly' }).click();
    await page.getByRole('link', { name: 'Chat' }).click();
    await expect.poll(() => info().textContent()).toBe(line);
    expect(await page.getByTestId('backend-select').inputValue()).toBe('wasm');
    // a reload of the model would start this (extending) prompt from its first token
    await ask('Once upon a time');
    expect(await page.getByTestId('assistant-message').last().locator('.meta').textContent()).toMatch(/\(\d+ from the previous turn\)/);
    expect(errors).toEqual([]);
  });

  it('a message sent right after Stop is answered: the worker waits the stopped reply out instead of saying one is still running', async () => {
    const r = await page.evaluate(async () => {
      type Api = { chatGenerate(m: unknown[], o: unknown): Promise<{ tokens: number }>; chatStop(): Promise<void> };
      const api = (globalThis as Record<string, unknown>).__sparrowEngine as Api;
      const msg = [{ role: 'user', content: 'Once upon a time' }];
      // greedy: mamba-tiny never picks its end token here, so the reply runs until stopped
      const long = api.chatGenerate(msg, { maxTokens: 60000, temperature: 0, repetitionPenalty: 1 }).then(() => 'done', (e: { code?: string }) => e.code);
      await new Promise((res) => setTimeout(res, 100));
      void api.chatStop(); // the next message goes right behind it, before the reply has seen the stop
      const next = await api.chatGenerate(msg, { maxTokens: 4, temperature: 0 }).then((x) => x.tokens, (e: { code?: string }) => e.code);
      return [await long, next];
    });
    expect(r).toEqual(['ABORTED', 4]);
  });

  it('loads a .gguf from a URL on WebGPU and generates the reference greedy text', async () => {
    const path = 'llama-gqa-tiny/model.Q8_0.gguf';
    const files = [{ name: 'model.Q8_0.gguf', blob: new Blob([readFileSync(join(FIX, path))]) }];
    const ref = await openModelFiles(new ReferenceBackend(), 'reference', files);
    const want = (await ref.generate([{ role: 'user', content: PROMPT }], { maxTokens: 16, temperature: 0, repetitionPenalty: 1 }, () => {})).text;
    ref.dispose();
    await page.getByTestId('backend-select').selectOption('webgpu');
    await page.getByTestId('model-url').fill(`${h.url}/test/fixtures/models/${path}`);
    await page.getByRole('button', { name: 'Fetch' }).click();
    await expect.poll(() => info().textContent(), { timeout: 90_000 }).toContain('llama');
    expect(await page.getByTestId('model-engine').textContent()).toBe('webgpu');
    await setGreedy(16);
    expect(await ask(PROMPT)).toBe(want);
    // A new backend choice reloads the (cached) model on it: same greedy text on WASM.
    await page.getByTestId('backend-select').selectOption('wasm');
    await expect.poll(() => page.getByTestId('model-engine').textContent(), { timeout: 60_000 }).toBe('wasm');
    expect(await info().textContent()).toContain('llama');
    expect(await ask(PROMPT)).toBe(want);
    // Asked again: the KV cache of the previous reply already holds the prompt (all but its last
    // token is reused), and the reply is the same
    expect(await ask(PROMPT)).toBe(want);
    const promptTokens = PROMPT.length + 1; // byte vocabulary + BOS
    expect(await page.getByTestId('assistant-message').last().textContent()).toContain(`prompt ${promptTokens} tokens (${promptTokens - 1} from the previous turn)`);
    expect(errors).toEqual([]);
  });

  it('the cached model survives a reload and loads from IndexedDB with the same output', async () => {
    await page.reload();
    // the model loaded when the page went away (the llama from the test before) is loaded again
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toContain('llama');
    await expect.poll(optionTexts, { timeout: 30_000 }).toEqual(expect.arrayContaining([expect.stringMatching(/mamba .* cached$/)]));
    const label = (await optionTexts()).find((t) => /mamba .* cached$/.test(t))!;
    // Auto: WebGPU on a hardware adapter, WASM on a software one (SwiftShader here).
    await page.getByTestId('backend-select').selectOption('auto');
    await page.getByTestId('model-select').selectOption({ label });
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toContain('mamba');
    const gpu = await page.evaluate(async () => (await (globalThis as unknown as { __sparrowEngine: { capabilities(): Promise<{ webgpu: { available: boolean; fallback?: boolean } }> } }).__sparrowEngine.capabilities()).webgpu);
    expect(await page.getByTestId('model-engine').textContent()).toBe(gpu.available && !gpu.fallback ? 'webgpu' : 'wasm');
    await setGreedy(GREEDY_TOKENS);
    expect(await ask(PROMPT)).toBe(expected);
    expect(errors).toEqual([]);
  });

  it('a truncated .gguf gives a visible FORMAT_INVALID error and the cached model stays', async () => {
    const gguf = readFileSync(join(FIX, 'llama-gqa-tiny/model.Q8_0.gguf'));
    const bad = join(tmp, 'truncated.gguf');
    writeFileSync(bad, gguf.subarray(0, 1000));
    await loadFiles([bad]);
    const err = page.getByTestId('load-error');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.locator('code').textContent()).toBe('FORMAT_INVALID');
    expect(await err.textContent()).toContain('truncated');
    expect(await optionTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/mamba .* cached$/)]));
    // The file failed before anything was unloaded: the previous model is still loaded and answers.
    expect(await info().textContent()).toContain('mamba');
    expect(await ask(PROMPT)).toBe(expected);
    await shot('truncated-gguf');
  });

  it('a URL that does not exist and an unknown cached id are NOT_FOUND; the loaded model stays', async () => {
    await page.getByTestId('model-url').fill(`${h.url}/test/fixtures/models/no-such-model.gguf`);
    await page.getByRole('button', { name: 'Fetch' }).click();
    const err = page.getByTestId('load-error');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.locator('code').textContent()).toBe('NOT_FOUND');
    expect(await err.textContent()).toContain('no-such-model.gguf');
    const code = await page.evaluate(async () => {
      const e = (globalThis as unknown as { __sparrowEngine: { chatLoad(s: unknown): Promise<unknown> } }).__sparrowEngine;
      try {
        await e.chatLoad({ kind: 'cached', id: 'no-such-id' });
        return 'loaded';
      } catch (x) {
        return (x as { code?: string }).code;
      }
    });
    expect(code).toBe('NOT_FOUND');
    expect(await info().textContent()).toContain('mamba');
    expect(await ask(PROMPT)).toBe(expected);
  });

  it('context and KV cache choices load the model with them, shown in the model line; a bad context is a typed error', async () => {
    await page.getByTestId('backend-select').selectOption('wasm');
    const options = await optionTexts();
    const llama = options.find((t) => /Q8_0.* · llama .* cached$/.test(t))!;
    expect(llama, options.join(' | ')).toBeTruthy();
    await page.getByTestId('model-select').selectOption({ label: llama });
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toMatch(/llama[\s\S]*context 512 tokens \(KV f32\)/);
    // a new KV cache type reloads the cached model with it
    await page.getByTestId('kv-cache').selectOption('f16');
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toMatch(/context 512 tokens \(KV f16\)/);
    await page.getByTestId('context-length').fill('128');
    await page.getByTestId('context-length').dispatchEvent('change');
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toMatch(/context 128 tokens \(KV f16\)/);
    await setGreedy(8);
    expect((await ask(PROMPT)).length).toBeGreaterThan(0);
    // sparse attention (window + log-stride + landmarks)
    await page.getByTestId('attention').selectOption('sparse');
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toMatch(/context 128 tokens \(KV f16, sparse attention\)/);
    expect((await ask(PROMPT)).length).toBeGreaterThan(0);
    await page.getByTestId('attention').selectOption('dense');
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toMatch(/context 128 tokens \(KV f16\)/);
    // too small: refused before anything is unloaded
    await page.getByTestId('context-length').fill('8');
    await page.getByTestId('context-length').dispatchEvent('change');
    const err = page.getByTestId('load-error');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.locator('code').textContent()).toBe('INVALID_ARGUMENT');
    expect(await info().textContent()).toMatch(/context 128 tokens/);
    // back to the defaults for the tests after this one
    await page.getByTestId('context-length').fill('');
    await page.getByTestId('kv-cache').selectOption('f32');
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toMatch(/context 512 tokens \(KV f32\)/);
    expect(errors).toEqual([]);
  });

  it('8-bit activations: a Q4_K file loads with them (shown in the model line) and replies as the reference backend does with them', async () => {
    // a tiny llama in llama.cpp's Q4_K_M mix (Q4_K / Q6_K need rows of 256: hidden 256), with a real BPE vocabulary
    const bytes = tinyGguf(tinyShape('llama', 'smollm', { name: 'tiny-q4_k_m', hidden: 256, ffn: 512 }), undefined, 'Q4_K_M');
    const path = 'build/parity/chat-q4_k_m.gguf';
    mkdirSync(join(ROOT, 'build/parity'), { recursive: true });
    writeFileSync(join(ROOT, path), bytes);
    const files = [{ name: 'chat-q4_k_m.gguf', blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) }];
    const wantOf = async (int8: boolean) => {
      const ref = await openModelFiles(new ReferenceBackend({ int8Activations: int8 }), 'reference', files, undefined, undefined, { int8Activations: int8 });
      const text = (await ref.generate([{ role: 'user', content: PROMPT }], { maxTokens: 12, temperature: 0, repetitionPenalty: 1 }, () => {})).text;
      ref.dispose();
      return text;
    };
    const [exact, int8] = [await wantOf(false), await wantOf(true)];
    await page.getByTestId('backend-select').selectOption('wasm');
    await page.getByTestId('int8-activations').check();
    await page.getByTestId('model-url').fill(`${h.url}/${path}`);
    await page.getByRole('button', { name: 'Fetch' }).click();
    await expect.poll(() => info().textContent(), { timeout: 90_000 }).toContain('8-bit activations');
    await setGreedy(12);
    expect(await ask(PROMPT)).toBe(int8);
    // unchecked: the (cached) model reloads with exact activations
    await page.getByTestId('int8-activations').uncheck();
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).not.toContain('8-bit activations');
    expect(await ask(PROMPT)).toBe(exact);
    // leave the cache and the loaded model as the tests after this one expect: this file deleted, the llama Q8_0 loaded
    await page.getByTestId('delete-model').click();
    await expect.poll(async () => (await optionTexts()).some((t) => t.includes('chat-q4_k_m')), { timeout: 60_000 }).toBe(false);
    const llama = (await optionTexts()).find((t) => /Q8_0.* · llama .* cached$/.test(t))!;
    await page.getByTestId('model-select').selectOption({ label: llama });
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toMatch(/Q8_0[\s\S]*llama/);
    expect(errors).toEqual([]);
  });

  it('quota: a tiny quota, a failing write and a failing read-back give QUOTA_EXCEEDED; the model still runs; the cache is intact', async () => {
    const engine = (limits: Record<string, number>) =>
      page.evaluate((l) => (globalThis as unknown as { __sparrowEngine: { chatStoreLimits(l: unknown): Promise<void> } }).__sparrowEngine.chatStoreLimits(l), limits);
    // 1) navigator.storage.estimate() (here: a pretend quota) says it cannot fit: refused before writing.
    await engine({ quotaBytes: 700_000 });
    await loadFiles(RWKV);
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toContain('rwkv');
    const note = page.getByTestId('cache-error');
    await note.waitFor();
    expect(await note.locator('code').textContent()).toBe('QUOTA_EXCEEDED');
    expect(await note.textContent()).toContain('Not enough browser storage');
    // 2) The write itself fails part-way (QuotaExceededError from IndexedDB): partial entry removed.
    await engine({ failWriteAfterBytes: 200_000 });
    await loadFiles(RWKV);
    await expect.poll(() => note.textContent().catch(() => ''), { timeout: 60_000 }).toContain('partial copy was removed');
    expect(await note.locator('code').textContent()).toBe('QUOTA_EXCEEDED');
    // 3) Re-saving a cached model (same files, same id) fails part-way: the old copy stays whole
    // (the new copy is written under a new generation and only then replaces the old one).
    await engine({ failWriteAfterBytes: 1000 });
    await loadFiles(MAMBA);
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toContain('mamba');
    expect(await note.locator('code').textContent()).toBe('QUOTA_EXCEEDED');
    expect(await note.textContent()).toContain('partial copy was removed');
    // 4) Reading the file back for the cache fails (Chromium's NotReadableError when its in-memory
    // Blob storage is full): a clear QUOTA_EXCEEDED, not Chromium's "permission problems" text.
    await engine({ failReadAfterBytes: 1000 });
    await loadFiles(RWKV);
    await expect.poll(() => note.textContent().catch(() => ''), { timeout: 60_000 }).toContain('could not read');
    expect(await note.locator('code').textContent()).toBe('QUOTA_EXCEEDED');
    await shot('quota');
    // The refused RWKV model was not cached; the mamba entry is intact and loads from IndexedDB.
    const opts = await optionTexts();
    // Nothing of the refused models was cached; the one cached mamba-tiny entry is intact.
    expect(opts.some((t) => /rwkv .* cached$/.test(t))).toBe(false);
    expect(opts.filter((t) => /mamba .* cached$/.test(t))).toHaveLength(1);
    expect(await ask('abc')).not.toBe('');
    await engine({});
    const label = opts.find((t) => /mamba .* cached$/.test(t))!;
    await page.getByTestId('model-select').selectOption({ value: 'builtin:micro-text' });
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toContain('micro');
    await page.getByTestId('model-select').selectOption({ label });
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toContain('mamba');
    await setGreedy(GREEDY_TOKENS);
    expect(await ask(PROMPT)).toBe(expected);
    expect(errors).toEqual([]);
  });

  it('a damaged cache entry gives FORMAT_INVALID (not a hang), and Delete removes it for good', async () => {
    const id = await page.evaluate(async () => {
      const e = (globalThis as unknown as { __sparrowEngine: { chatModels(): Promise<Array<{ id: string; family: string; kind: string }>>; chatDamageCached(id: string): Promise<void> } }).__sparrowEngine;
      const m = (await e.chatModels()).find((x) => x.kind === 'cached' && x.family === 'mamba')!;
      await e.chatDamageCached(m.id);
      return m.id;
    });
    await page.getByTestId('model-select').selectOption({ value: 'builtin:micro-text' });
    await page.getByTestId('model-select').selectOption({ value: id });
    const err = page.getByTestId('load-error');
    await expect.poll(() => err.locator('code').textContent().catch(() => ''), { timeout: 30_000 }).toBe('FORMAT_INVALID');
    expect(await err.textContent()).toContain('damaged');
    // The built-in model loaded before stays loaded; the damaged entry stays selected for Delete.
    expect(await info().textContent()).toContain('micro');
    await page.getByTestId('delete-model').click();
    await expect.poll(optionTexts, { timeout: 30_000 }).not.toEqual(expect.arrayContaining([expect.stringMatching(/mamba .* cached$/)]));
    await page.reload();
    await page.getByTestId('model-select').waitFor();
    await page.waitForTimeout(500);
    await expect.poll(optionTexts, { timeout: 30_000 }).toEqual(expect.arrayContaining([expect.stringMatching(/llama .* cached$/)]));
    expect((await optionTexts()).some((t) => /mamba .* cached$/.test(t))).toBe(false);
  });

  it('deleting the loaded model falls back to the built-in model, which the picker shows', async () => {
    const cached = (await optionTexts()).find((t) => /llama .* cached$/.test(t))!;
    await page.getByTestId('model-select').selectOption({ label: cached });
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toContain('llama');
    await page.getByTestId('delete-model').click();
    await expect.poll(() => info().textContent().catch(() => ''), { timeout: 60_000 }).toContain(HAS_TEXT_MODEL ? 'micro' : '');
    expect(await page.getByTestId('model-select').inputValue()).toBe('builtin:micro-text');
    expect((await optionTexts()).some((t) => /llama .* cached$/.test(t))).toBe(false);
    if (HAS_TEXT_MODEL) expect(await ask('ROMEO:')).not.toBe('');
    expect(errors).toEqual([]);
  });

  it('loads files dropped on the drop zone', async () => {
    const dt = await page.evaluateHandle(async () => {
      const d = new DataTransfer();
      for (const name of ['config.json', 'model.safetensors']) {
        const blob = await (await fetch(`/test/fixtures/models/rwkv4-tiny/${name}`)).blob();
        d.items.add(new File([blob], name));
      }
      return d;
    });
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: dt });
    await expect.poll(() => info().textContent(), { timeout: 60_000 }).toContain('rwkv');
    expect(errors).toEqual([]);
  });

  it('a reply that reasons in a <think> block shows the reasoning folded away and the answer as the reply', async () => {
    // a saved chat holding such a reply (as a Qwen3.5 reply reads: the template opened the block),
    // opened in a second tab (this one saves its own chat when hidden)
    const key = 'sparrow.chat.v1';
    await page.waitForTimeout(700); // this tab's pending save (batched every half second) lands first
    const before = await page.evaluate((k) => localStorage.getItem(k), key);
    const saved = { ...(before ? JSON.parse(before) : {}), turns: [{ role: 'user', content: 'capital of France?' }, { role: 'assistant', content: 'The user asks.\nFrance: Paris.\n</think>\n\nParis.' }] };
    const tab = await page.context().newPage();
    try {
      await tab.goto(`${h.url}/package.json`);
      await tab.evaluate(([k, v]) => localStorage.setItem(k, v), [key, JSON.stringify(saved)] as const);
      await tab.goto(`${h.url}/#chat`);
      await tab.waitForFunction(() => (globalThis as Record<string, unknown>).__sparrowEngine !== undefined);
      await tab.locator('[data-testid=model-info], [data-testid=load-error]').first().waitFor({ timeout: 60_000 });
      // a model with a chat template (the built-in micro model continues text: its replies show as written)
      await expect.poll(() => tab.getByTestId('assistant-message').last().locator('.reply').textContent(), { timeout: 60_000 }).toContain('</think>');
      const file = join(tmp, 'think-chat.gguf');
      writeFileSync(file, tinyGguf(tinyShape('llama', 'smollm', { name: 'think-chat' })));
      await tab.getByTestId('model-files').setInputFiles(file);
      await expect.poll(() => tab.getByTestId('model-info').textContent(), { timeout: 60_000 }).toContain('chat template');
      const msg = tab.getByTestId('assistant-message').last();
      await expect.poll(() => msg.locator('.reply').textContent(), { timeout: 60_000 }).toBe('Paris.');
      const thought = msg.getByTestId('reasoning');
      expect(await thought.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
      expect(await thought.locator('.thought').textContent()).toBe('The user asks.\nFrance: Paris.');
    } finally {
      await tab.close({ runBeforeUnload: false });
      // this tab's chat back in storage (the other tab saved its own when it closed)
      await page.evaluate(([k, v]) => (v === null ? localStorage.removeItem(k) : localStorage.setItem(k, v)), [key, before] as const);
    }
  });

  it.skipIf(!HAS_TEXT_MODEL)('two tabs: the first saves the chat; the second says it does not and can take over, and the first is then told; neither takes over by itself', async () => {
    const key = 'sparrow.chat.v1';
    const stored = () => page.evaluate((k) => (JSON.parse(localStorage.getItem(k) ?? '{}').turns ?? []).length as number, key);
    const turnCount = async (p: Page) => (await p.getByTestId('user-message').count()) + (await p.getByTestId('assistant-message').count());
    const n = await turnCount(page);
    expect(n).toBeGreaterThanOrEqual(2);
    await page.waitForTimeout(700); // saves are batched every half second
    expect(await page.getByTestId('save-elsewhere').count()).toBe(0);
    expect(await stored()).toBe(n);
    const tab = await page.context().newPage();
    const tabErrors = collectErrors(tab);
    try {
      await tab.goto(`${h.url}/#chat`);
      await tab.getByTestId('save-elsewhere').waitFor({ timeout: 10_000 });
      expect(await turnCount(tab)).toBe(n); // it opened with the saved chat
      // the second tab's changes are not saved
      await tab.getByRole('button', { name: 'Clear' }).click();
      await tab.waitForTimeout(700);
      expect(await stored()).toBe(n);
      // it takes over: its (empty) chat is saved at once, and the first tab says it no longer saves
      await tab.getByTestId('save-here').click();
      await expect.poll(() => tab.getByTestId('save-elsewhere').count()).toBe(0);
      await page.getByTestId('save-elsewhere').waitFor({ timeout: 10_000 });
      await expect.poll(stored).toBe(0);
      // the first tab's changes are not saved now
      await page.getByTestId('edit-last').click();
      await page.getByTestId('chat-input').fill('');
      await page.waitForTimeout(700);
      expect(await stored()).toBe(0);
      expect(tabErrors).toEqual([]);
    } finally {
      await tab.close();
    }
    // the saving tab closed: the first does not take over by itself (it would replace what that tab saved)…
    await page.waitForTimeout(2000);
    expect(await page.getByTestId('save-elsewhere').count()).toBe(1);
    expect(await stored()).toBe(0);
    // …until asked to: then its chat (one exchange shorter after Edit last) is saved
    await page.getByTestId('save-here').click();
    await expect.poll(() => page.getByTestId('save-elsewhere').count()).toBe(0);
    await expect.poll(stored).toBe(await turnCount(page));
    expect(await turnCount(page)).toBe(n - 2);
    // a change right before leaving for another view is saved too (not dropped with the pending save)
    await page.getByTestId('sampling').locator('summary').click();
    const maxTokens = await page.getByTestId('max-tokens').inputValue();
    await page.getByTestId('max-tokens').fill('77');
    await page.getByRole('link', { name: 'Anomaly' }).click();
    await page.waitForTimeout(700);
    expect(await page.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? '{}').settings?.maxTokens, key)).toBe(77);
    await page.getByRole('link', { name: 'Chat' }).click();
    // the view was kept while hidden: the settings panel is still open as it was left
    expect(await page.getByTestId('sampling').getAttribute('open')).not.toBeNull();
    await page.getByTestId('max-tokens').fill(maxTokens);
    await page.getByTestId('sampling').locator('summary').click();
    expect(errors).toEqual([]);
  });

  it('fits a narrow (phone) viewport without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 380, height: 800 });
    await page.getByTestId('chat-input').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('narrow');
    expect(errors).toEqual([]);
  });
});
