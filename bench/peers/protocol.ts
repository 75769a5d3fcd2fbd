/** What the peer benchmark measures per engine run (same prompt, same greedy budget, same bans). */
export interface PeerRun {
  engine: 'sparrow' | 'wllama';
  model: string;
  threads: number;
  backend: string;
  promptTokens: number;
  generatedTokens: number;
  prefillMs: number;
  decodeMs: number;
  prefillTokPerS: number;
  decodeTokPerS: number;
  /** First generated token ids, to compare the two engines' greedy paths. */
  tokens: number[];
  text: string;
  error?: string;
}

export interface PeerJob {
  modelUrl: string;
  modelName: string;
  prompt: string;
  maxTokens: number;
  threads: number;
  /** Sparrow's WASM quantized-weight decode with 8-bit activations (bench:peers --int8). */
  int8?: boolean;
  /** Sparrow's wasm build: false forces the plain-SIMD one (bench:peers --plain-simd), else relaxed where supported. */
  relaxedSimd?: boolean;
}

/** The fixed benchmark prompt (32 tokens with the generated SmolLM2-shaped vocab; checked at run time). */
export const PEER_PROMPT =
  'The quick brown fox jumps over the lazy dog while the old miller counts his sacks of grain beside the river, and the children sing of';
