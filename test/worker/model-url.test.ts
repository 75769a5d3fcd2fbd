import { describe, expect, it } from 'vitest';
import { modelFileUrl } from '../../src/worker/model-url.ts';

describe('modelFileUrl', () => {
  it("rewrites a Hugging Face file page (…/blob/…) to its download (…/resolve/…)", () => {
    expect(modelFileUrl('https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/blob/main/qwen2.5-0.5b-instruct-q4_k_m.gguf')).toBe(
      'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf',
    );
    expect(modelFileUrl('https://hf.co/a/b/blob/0123abc/sub/dir/model.gguf?download=true')).toBe('https://hf.co/a/b/resolve/0123abc/sub/dir/model.gguf?download=true');
  });
  it('leaves download URLs, other hosts and non-URLs alone', () => {
    for (const u of [
      'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/x.gguf',
      'https://example.com/a/b/blob/main/x.gguf',
      'https://huggingface.co/blob', // too short to be a file page
      '/models/generated/x.gguf',
      'not a url',
    ]) expect(modelFileUrl(u)).toBe(u);
  });
});
