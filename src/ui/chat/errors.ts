/** What the chat UI shows for a failure: the SparrowError code (or a generic one) and its message. */
export interface ErrorView {
  code: string;
  message: string;
}

export function errorView(e: unknown): ErrorView {
  const o = e as { code?: unknown; message?: unknown } | null;
  const code = typeof o?.code === 'string' ? o.code : 'INTERNAL';
  const message = typeof o?.message === 'string' ? o.message : String(e);
  return { code, message };
}
