/**
 * Entry of the iframe widget (embed.html): a compact view over the same engine worker, plus a
 * postMessage bridge so a host page can drive the engine without touching Comlink.
 *
 * Protocol (all messages are plain objects with a `sparrow` version tag):
 *   widget → host  { sparrow: 1, type: 'ready' }                      once the engine answers
 *   host → widget  { sparrow: 1, id, type: 'capabilities' }           request
 *   widget → host  { sparrow: 1, id, type: 'result', result }         reply
 *   widget → host  { sparrow: 1, id, type: 'error', error: { code, message } }
 * Only messages from `window.parent` are accepted; replies go to the sender's origin. A host may
 * pin the origin with `embed.html?origin=https://host.example` (others are then ignored).
 * Later issues add request types (generate, score) mapping 1:1 onto EngineApi methods.
 */
import { mount } from 'svelte';
import Widget from './Widget.svelte';
import { engine } from './engine.ts';
import { isSparrowError } from '../errors.ts';
import './app.css';

export interface BridgeRequest {
  sparrow: 1;
  id: string | number;
  type: 'capabilities';
}

export type BridgeMessage =
  | { sparrow: 1; type: 'ready' }
  | { sparrow: 1; id: string | number; type: 'result'; result: unknown }
  | { sparrow: 1; id: string | number; type: 'error'; error: { code: string; message: string } };

const pinnedOrigin = new URLSearchParams(location.search).get('origin');

function isRequest(d: unknown): d is BridgeRequest {
  const r = d as Partial<BridgeRequest> | null;
  return typeof r === 'object' && r !== null && r.sparrow === 1 && (typeof r.id === 'string' || typeof r.id === 'number') && typeof r.type === 'string';
}

async function handle(req: BridgeRequest): Promise<unknown> {
  switch (req.type) {
    case 'capabilities':
      return engine().capabilities();
    default:
      throw Object.assign(new Error(`unknown request type ${JSON.stringify((req as { type: unknown }).type)}`), { code: 'INVALID_ARGUMENT' });
  }
}

function post(msg: BridgeMessage, origin: string): void {
  if (window.parent !== window) window.parent.postMessage(msg, origin);
}

addEventListener('message', (e: MessageEvent) => {
  if (e.source !== window.parent || window.parent === window) return;
  if (pinnedOrigin && e.origin !== pinnedOrigin) return;
  if (!isRequest(e.data)) return;
  const req = e.data;
  // 'null' origins (sandboxed/file hosts) can only be answered with '*'.
  const replyTo = e.origin === 'null' ? '*' : e.origin;
  handle(req).then(
    (result) => post({ sparrow: 1, id: req.id, type: 'result', result }, replyTo),
    (err: unknown) => {
      const code = isSparrowError(err) ? err.code : ((err as { code?: string }).code ?? 'INTERNAL');
      post({ sparrow: 1, id: req.id, type: 'error', error: { code, message: err instanceof Error ? err.message : String(err) } }, replyTo);
    },
  );
});

const target = document.getElementById('widget');
if (!target) throw new Error('embed.html is missing #widget');
mount(Widget, { target, props: { onReady: () => post({ sparrow: 1, type: 'ready' }, pinnedOrigin ?? '*') } });
