// Lets TypeScript (tsc --noEmit) import .svelte files; the Svelte compiler type-checks their insides.
declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component<Record<string, any>>;
  export default component;
}
