/**
 * A reply's reasoning and its answer, for models that think in a `<think>…</think>` block first
 * (Qwen3, Qwen3.5, DeepSeek-R1 distills). Their chat templates often open the block in the prompt,
 * so the reply holds only its end: everything before `</think>` is reasoning. A reply that opens the
 * block itself and has not closed it yet is all reasoning so far. Anything else is all answer.
 */
export function splitReasoning(text: string): { reasoning?: string; answer: string } {
  const end = text.indexOf('</think>');
  const start = text.indexOf('<think>');
  if (end < 0) return start < 0 ? { answer: text } : { reasoning: text.slice(start + '<think>'.length).replace(/^\s+/, ''), answer: '' };
  const from = start >= 0 && start < end ? start + '<think>'.length : 0;
  return { reasoning: text.slice(from, end).trim(), answer: text.slice(end + '</think>'.length).replace(/^\s+/, '') };
}
