/** The app's top-level views, addressed by URL hash (#chat, #anomaly, #backends) so they can be linked. */
export const TABS = [
  { id: 'chat', label: 'Chat' },
  { id: 'anomaly', label: 'Anomaly demo' },
  { id: 'backends', label: 'Backends' },
] as const;

export type TabId = (typeof TABS)[number]['id'];

export function tabFromHash(hash: string): TabId {
  const id = hash.replace(/^#\/?/, '');
  return TABS.some((t) => t.id === id) ? (id as TabId) : 'chat';
}
