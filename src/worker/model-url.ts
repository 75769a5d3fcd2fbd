/**
 * The download URL of a model file a user pasted. A Hugging Face file page
 * (https://huggingface.co/<owner>/<repo>/blob/<revision>/<path>, what the browser's address bar
 * shows) is HTML; its file is at …/resolve/<revision>/<path>. Other URLs are returned unchanged.
 */
export function modelFileUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  if (!/^(www\.)?(huggingface\.co|hf\.co)$/.test(u.hostname)) return url;
  const parts = u.pathname.split('/');
  // ['', owner, repo, 'blob', revision, ...path]; datasets/spaces have one more segment first
  const at = parts.indexOf('blob');
  if (at < 3 || at + 2 >= parts.length) return url;
  parts[at] = 'resolve';
  u.pathname = parts.join('/');
  return u.toString();
}
