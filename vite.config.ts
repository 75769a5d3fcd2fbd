import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';

// Cross-origin isolation (COOP/COEP) lets the page use SharedArrayBuffer for threaded WASM.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [
    svelte(),
    // Installable offline PWA: src/sw.ts precaches the shell (+ sparrow.wasm) and adds COOP/COEP
    // for static hosts. Production builds only; `vite` dev is never served from a cache.
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false, // src/ui/pwa.ts registers it (and reloads once for isolation)
      manifest: {
        name: 'Sparrow',
        short_name: 'Sparrow',
        description: 'Small sequence models running offline in your browser (WebGPU + WebAssembly SIMD).',
        theme_color: '#3b6ef5',
        background_color: '#f6f7f9',
        display: 'standalone',
        start_url: '.',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'icons/icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      injectManifest: {
        // App shell + small bundled models (public/models); files over the size cap are skipped.
        globPatterns: ['**/*.{html,js,css,wasm,svg,png,webmanifest,json,safetensors}'],
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        rollupFormat: 'iife',
      },
      devOptions: { enabled: false },
    }),
  ],
  worker: { format: 'es' },
  server: { headers: isolation, host: '127.0.0.1' },
  preview: { headers: isolation, host: '127.0.0.1' },
  build: {
    target: 'es2022',
    // Two pages: the app and the compact iframe widget (same engine worker).
    rollupOptions: { input: { main: 'index.html', embed: 'embed.html' } },
  },
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Two cores: browser suites each launch Chromium, so keep files from stampeding.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
