/** Chat prompts rendered with the model's Jinja chat template (tokenizer_config.json / GGUF tokenizer.chat_template). */
import { Template } from '@huggingface/jinja';
import { SparrowError } from '../errors.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | string;
  content: string;
}

export interface ChatTemplateOptions {
  bosToken?: string;
  eosToken?: string;
  /** Append the assistant turn header so the model answers (default true). */
  addGenerationPrompt?: boolean;
}

export function renderChat(template: string, messages: ChatMessage[], opts: ChatTemplateOptions = {}): string {
  let t: Template;
  try {
    t = new Template(template);
  } catch (e) {
    throw new SparrowError('FORMAT_INVALID', `chat template does not parse: ${(e as Error).message}`);
  }
  try {
    return t.render({
      messages,
      bos_token: opts.bosToken ?? '',
      eos_token: opts.eosToken ?? '',
      add_generation_prompt: opts.addGenerationPrompt ?? true,
    });
  } catch (e) {
    throw new SparrowError('INVALID_ARGUMENT', `chat template failed to render: ${(e as Error).message}`);
  }
}
