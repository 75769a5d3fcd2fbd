/** Entry of the main app page (index.html): mounts the Svelte shell and registers the service worker. */
import { mount } from 'svelte';
import App from './ui/App.svelte';
import { registerServiceWorker } from './ui/pwa.ts';
import './ui/app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html is missing #app');
mount(App, { target });
registerServiceWorker();
