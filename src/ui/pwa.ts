/**
 * Service-worker registration for the installable/offline build. Only in production builds: the
 * dev server must never be shadowed by a cached shell. See src/sw.ts for what the worker does.
 */
const RELOADED = 'sparrow:isolation-reload';

export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // First visit on a static host: the page loaded without COOP/COEP. Once the worker controls
    // it, one reload makes the page cross-origin isolated. Guarded so it can never loop.
    if (!hadController && !globalThis.crossOriginIsolated && !sessionStorage.getItem(RELOADED)) {
      sessionStorage.setItem(RELOADED, '1');
      location.reload();
    }
  });
  navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL }).catch((e: unknown) => {
    console.warn('Service worker registration failed; the app works but not offline.', e);
  });
}
