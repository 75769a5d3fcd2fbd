/**
 * Chat prompts rendered with the model's chat template (tokenizer_config.json / GGUF
 * tokenizer.chat_template): a Jinja template, or the name of one of llama.cpp's built-in templates
 * (BUILTIN_CHAT_TEMPLATES), which some GGUF files carry instead of Jinja (RWKV's "rwkv-world").
 */
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
  /**
   * The templates' `enable_thinking` (Qwen3, Qwen3.5: false opens the reply with an empty
   * `<think></think>`, so the model answers without reasoning first); absent: the template's default.
   */
  enableThinking?: boolean;
}

/** C's isspace in the "C" locale (what llama-chat.cpp's trim tests, byte by byte): space \t \n \v \f \r. */
const C_SPACE = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;
/** llama-chat.cpp's trim(): leading and trailing ASCII whitespace only (not U+00A0 and the like, as String.trim would). */
export function cTrim(s: string): string {
  return s.replace(C_SPACE, '');
}

/**
 * llama.cpp's built-in chat templates (src/llama-chat.cpp llm_chat_apply_template), by the names of
 * its LLM_CHAT_TEMPLATES map. A chat template that is exactly one of these names is rendered here,
 * not as Jinja (llm_chat_detect_template also takes an exact name first). Add more names as needed.
 */
export const BUILTIN_CHAT_TEMPLATES: Readonly<Record<string, (messages: ChatMessage[], opts: ChatTemplateOptions) => string>> = {
  /**
   * LLM_CHAT_TEMPLATE_RWKV_WORLD ("this template requires the model to have "\n\n" as EOT token";
   * convert_hf_to_gguf.py writes eot = 261, "\n\n"): system → "System: " + trim(content) + "\n\n",
   * user → "User: " + trim(content) + "\n\n" and, when it is the last message, "Assistant:" (no
   * space: the model writes " …"); assistant → "Assistant: " + trim(content) + "\n\n"; other
   * roles are left out. As in llama.cpp, the "Assistant:" prompt depends only on the last message
   * being the user's, not on add_generation_prompt.
   */
  'rwkv-world': (messages) => {
    let s = '';
    messages.forEach((m, i) => {
      if (m.role === 'system') s += `System: ${cTrim(m.content)}\n\n`;
      else if (m.role === 'user') {
        s += `User: ${cTrim(m.content)}\n\n`;
        if (i === messages.length - 1) s += 'Assistant:';
      } else if (m.role === 'assistant') s += `Assistant: ${cTrim(m.content)}\n\n`;
    });
    return s;
  },
};

/** Whether `template` is the name of a built-in (non-Jinja) template. */
export function isBuiltinChatTemplate(template: string): boolean {
  return Object.hasOwn(BUILTIN_CHAT_TEMPLATES, template);
}

export function renderChat(template: string, messages: ChatMessage[], opts: ChatTemplateOptions = {}): string {
  if (isBuiltinChatTemplate(template)) return BUILTIN_CHAT_TEMPLATES[template](messages, opts);
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
      ...(opts.enableThinking === undefined ? {} : { enable_thinking: opts.enableThinking }),
    });
  } catch (e) {
    throw new SparrowError('INVALID_ARGUMENT', `chat template failed to render: ${(e as Error).message}`);
  }
}
