/**
 * Entry of the iframe widget (embed.html): a compact chat over the same engine worker, plus a
 * postMessage bridge so a host page can drive the engine without touching Comlink.
 *
 * Protocol (all messages are plain objects with a `sparrow: 1` version tag; `id` is the host's):
 *   widget → host  { sparrow: 1, type: 'ready' }                               engine answered
 *   host → widget  { sparrow: 1, id, type: 'capabilities' }
 *   widget → host  { sparrow: 1, id, type: 'result', result }                  Capabilities
 *   host → widget  { sparrow: 1, id, type: 'generate', prompt, options? }      options: ChatGenerateOptions
 *   widget → host  { sparrow: 1, id, type: 'token', text, tokens }             streamed pieces
 *   widget → host  { sparrow: 1, id, type: 'done', result }                    ChatGenerateResult
 *   host → widget  { sparrow: 1, id, type: 'stop' }                            ends a running generate
 *                                                                               (it answers 'error' ABORTED)
 *   widget → host  { sparrow: 1, id, type: 'error', error: { code, message } } SparrowError code
 * Only messages from `window.parent` are accepted. `embed.html?origin=https://a.example,https://b.example`
 * pins the allowed host origins (others are ignored, and replies only ever go to the sender's
 * origin); without it any embedding page may talk to the widget. `?model=<cached id>` picks a
 * model from the offline cache instead of the built-in one.
 */
import { mount } from 'svelte';
import * as Comlink from 'comlink';
import Widget from './Widget.svelte';
import { engine } from './engine.ts';
import { isSparrowError } from '../errors.ts';
import type { ChatGenerateOptions, LoadResult } from '../worker/chat-api.ts';
import './app.css';

export type BridgeRequest =
  | { sparrow: 1; id: string | number; type: 'capabilities' }
  | { sparrow: 1; id: string | number; type: 'generate'; prompt: string; options?: ChatGenerateOptions }
  | { sparrow: 1; id: string | number; type: 'stop' };

export type BridgeMessage =
  | { sparrow: 1; type: 'ready' }
  | { sparrow: 1; id: string | number; type: 'result'; result: unknown }
  | { sparrow: 1; id: string | number; type: 'token'; text: string; tokens: number }
  | { sparrow: 1; id: string | number; type: 'done'; result: unknown }
  | { sparrow: 1; id: string | number; type: 'error'; error: { code: string; message: string } };

const params = new URLSearchParams(location.search);
const allowedOrigins = (params.get('origin') ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const cachedModel = params.get('model');

/** The widget's model, loaded once and shared by the UI and the bridge. */
let modelLoad: Promise<LoadResult> | undefined;
export function widgetModel(): Promise<LoadResult> {
  modelLoad ??= engine().chatLoad(cachedModel ? { kind: 'cached', id: cachedModel } : { kind: 'default' }, {});
  return modelLoad;
}

function isRequest(d: unknown): d is BridgeRequest {
  const r = d as Partial<BridgeRequest> | null;
  return typeof r === 'object' && r !== null && r.sparrow === 1 && (typeof r.id === 'string' || typeof r.id === 'number') && typeof r.type === 'string';
}

function bridgeError(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_ARGUMENT' });
}

async function handle(req: BridgeRequest, reply: (m: BridgeMessage) => void): Promise<void> {
  switch (req.type) {
    case 'capabilities':
      reply({ sparrow: 1, id: req.id, type: 'result', result: await engine().capabilities() });
      return;
    case 'generate': {
      if (typeof req.prompt !== 'string' || !req.prompt) throw bridgeError('generate: `prompt` must be a non-empty string');
      await widgetModel();
      // Token callbacks travel on their own MessagePort and may trail the result: the result's
      // text is authoritative, any missing tail is sent as one last token, later pieces dropped.
      let received = '';
      let finished = false;
      try {
        const result = await engine().chatGenerate(
          [{ role: 'user', content: req.prompt }],
          { ...(req.options ?? {}) },
          Comlink.proxy((text: string, tokens: number) => {
            if (finished) return;
            received += text;
            reply({ sparrow: 1, id: req.id, type: 'token', text, tokens });
          }),
        );
        finished = true;
        if (result.text.length > received.length && result.text.startsWith(received)) {
          reply({ sparrow: 1, id: req.id, type: 'token', text: result.text.slice(received.length), tokens: result.tokens });
        }
        reply({ sparrow: 1, id: req.id, type: 'done', result });
      } finally {
        finished = true;
      }
      return;
    }
    case 'stop':
      await engine().chatStop();
      reply({ sparrow: 1, id: req.id, type: 'result', result: null });
      return;
    default:
      throw bridgeError(`unknown request type ${JSON.stringify((req as { type: unknown }).type)}`);
  }
}

function post(msg: BridgeMessage, origin: string): void {
  if (window.parent !== window) window.parent.postMessage(msg, origin);
}

addEventListener('message', (e: MessageEvent) => {
  if (e.source !== window.parent || window.parent === window) return;
  if (allowedOrigins.length && !allowedOrigins.includes(e.origin)) return;
  if (!isRequest(e.data)) return;
  const req = e.data;
  // 'null' origins (sandboxed/file hosts) can only be answered with '*'.
  const replyTo = e.origin === 'null' ? '*' : e.origin;
  const reply = (m: BridgeMessage) => post(m, replyTo);
  handle(req, reply).catch((err: unknown) => {
    const code = isSparrowError(err) ? err.code : ((err as { code?: string }).code ?? 'INTERNAL');
    reply({ sparrow: 1, id: req.id, type: 'error', error: { code, message: err instanceof Error ? err.message : String(err) } });
  });
});

const target = document.getElementById('widget');
if (!target) throw new Error('embed.html is missing #widget');
mount(Widget, {
  target,
  props: {
    onReady: () => {
      // Announce readiness to the pinned origins only (or to whoever embeds us when none is pinned).
      if (allowedOrigins.length) for (const o of allowedOrigins) post({ sparrow: 1, type: 'ready' }, o);
      else post({ sparrow: 1, type: 'ready' }, '*');
    },
    model: widgetModel,
  },
});
