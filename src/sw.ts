/**
 * The PWA service worker (built by vite-plugin-pwa's injectManifest strategy into dist/sw.js).
 *
 * 1. Precaches the app shell — HTML, JS, CSS, icons and build/sparrow.wasm — so the app starts
 *    offline after the first visit.
 * 2. Adds the cross-origin isolation headers (COOP/COEP) to every same-origin response it serves.
 *    `vite` / `vite preview` send those headers themselves (vite.config.ts), but a plain static host
 *    (GitHub Pages, S3 …) cannot; with this worker in control the page still becomes
 *    `crossOriginIsolated`, which SharedArrayBuffer (threaded WASM) needs. The page reloads itself
 *    once when the worker first takes control (src/ui/pwa.ts) so the headers apply.
 */
import { addPlugins, cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<string | { url: string; revision: string | null }> };

function withIsolation(res: Response): Response {
  // Opaque / error responses cannot be rewritten (and are not ours).
  if (res.type === 'opaque' || res.type === 'opaqueredirect' || res.status === 0) return res;
  const headers = new Headers(res.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

addPlugins([{ handlerWillRespond: async ({ response }) => withIsolation(response) }]);
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// Same-origin requests that are not precached (e.g. model files fetched later) go to the network
// but still get the isolation headers.
registerRoute(
  ({ url, request }) => url.origin === self.location.origin && request.method === 'GET',
  async ({ request }) => withIsolation(await fetch(request)),
);

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
