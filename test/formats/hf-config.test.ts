import { describe, expect, it } from 'vitest';
import { parseHfConfig } from '../../src/formats/hf-config.ts';
import { isSparrowError } from '../../src/errors.ts';
import { MODEL_ROOT, fixtureJson } from './fixtures.ts';

describe('HF config.json, transformers-5 layout (the fixtures)', () => {
  it('llama-gqa-tiny', () => {
    const c = parseHfConfig(fixtureJson(MODEL_ROOT, 'llama-gqa-tiny', 'config.json'));
    expect(c).toMatchObject({
      family: 'llama', vocabSize: 256, hiddenSize: 64, intermediateSize: 172, numLayers: 2, numHeads: 4, numKvHeads: 2,
      headDim: 16, rmsNormEps: 1e-5, ropeTheta: 10000, ropeScaling: null, tieWordEmbeddings: true, bosTokenId: 1, eosTokenIds: [2],
    });
  });
  it('mamba-tiny', () => {
    const c = parseHfConfig(fixtureJson(MODEL_ROOT, 'mamba-tiny', 'config.json'));
    expect(c).toMatchObject({
      family: 'mamba', vocabSize: 256, hiddenSize: 64, stateSize: 16, numLayers: 2, convKernel: 4, expand: 2, intermediateSize: 128,
      timeStepRank: 4, layerNormEps: 1e-5, useConvBias: true, useBias: false, tieWordEmbeddings: true, residualInFp32: true,
    });
  });
  it('rwkv4-tiny', () => {
    const c = parseHfConfig(fixtureJson(MODEL_ROOT, 'rwkv4-tiny', 'config.json'));
    expect(c).toMatchObject({
      family: 'rwkv', vocabSize: 256, hiddenSize: 64, attentionHiddenSize: 64, intermediateSize: 256, numLayers: 2, rescaleEvery: 0,
      tieWordEmbeddings: false, contextLength: 128,
    });
  });
});

describe('older Hub layouts', () => {
  it('Llama with top-level rope_theta and llama3 rope_scaling (Llama-3.2-1B style)', () => {
    const c = parseHfConfig({
      architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 2048, intermediate_size: 8192, num_attention_heads: 32,
      num_key_value_heads: 8, num_hidden_layers: 16, rms_norm_eps: 1e-5, rope_theta: 500000.0, vocab_size: 128256,
      max_position_embeddings: 131072, tie_word_embeddings: true, bos_token_id: 128000, eos_token_id: [128001, 128008, 128009],
      rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
    });
    expect(c).toMatchObject({ family: 'llama', headDim: 64, ropeTheta: 500000, eosTokenIds: [128001, 128008, 128009], numKvHeads: 8 });
    if (c.family !== 'llama') throw new Error();
    expect(c.ropeScaling).toMatchObject({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
  });
  it('SmolLM2-135M style (no head_dim, rope_scaling null) equals the same model in transformers-5 layout', () => {
    const base = {
      model_type: 'llama', hidden_size: 576, intermediate_size: 1536, num_attention_heads: 9, num_key_value_heads: 3, num_hidden_layers: 30,
      rms_norm_eps: 1e-5, vocab_size: 49152, tie_word_embeddings: true, max_position_embeddings: 8192, bos_token_id: 0, eos_token_id: 0,
    };
    const old = parseHfConfig({ ...base, rope_theta: 100000, rope_scaling: null });
    const v5 = parseHfConfig({ ...base, head_dim: 64, rope_parameters: { rope_theta: 100000, rope_type: 'default' } });
    expect(old).toEqual(v5);
    expect(old).toMatchObject({ headDim: 64, ropeTheta: 100000, ropeScaling: null });
  });
  it('old layout rope_scaling with "type" key (linear)', () => {
    const c = parseHfConfig({ model_type: 'llama', hidden_size: 64, intermediate_size: 8, num_attention_heads: 4, num_hidden_layers: 1, vocab_size: 10, rope_scaling: { type: 'linear', factor: 2 } });
    expect(c.family === 'llama' && c.ropeScaling?.type).toBe('linear');
    expect(c).toMatchObject({ ropeTheta: 10000, numKvHeads: 4 });
  });
  it('Mamba-130m-hf with time_step_rank "auto" resolves to ceil(hidden/16)', () => {
    const c = parseHfConfig({
      architectures: ['MambaForCausalLM'], model_type: 'mamba', hidden_size: 768, num_hidden_layers: 24, state_size: 16, expand: 2, conv_kernel: 4,
      time_step_rank: 'auto', vocab_size: 50280, layer_norm_epsilon: 1e-5, use_bias: false, use_conv_bias: true,
    });
    expect(c).toMatchObject({ family: 'mamba', timeStepRank: 48, intermediateSize: 1536, vocabSize: 50280 });
  });
  it('original state-spaces mamba layout (d_model, n_layer, padded vocab)', () => {
    const c = parseHfConfig({ d_model: 768, n_layer: 24, vocab_size: 50277, ssm_cfg: {}, rms_norm: true, residual_in_fp32: true, fused_add_norm: true, pad_vocab_size_multiple: 8 });
    expect(c).toMatchObject({ family: 'mamba', hiddenSize: 768, numLayers: 24, vocabSize: 50280, timeStepRank: 48, stateSize: 16, convKernel: 4 });
  });
  it('RWKV-4 169m Hub config', () => {
    const c = parseHfConfig({ architectures: ['RwkvForCausalLM'], attention_hidden_size: 768, context_length: 1024, hidden_size: 768, intermediate_size: 3072, model_type: 'rwkv', num_hidden_layers: 12, rescale_every: 6, vocab_size: 50277, layer_norm_epsilon: 1e-5 });
    expect(c).toMatchObject({ family: 'rwkv', rescaleEvery: 6, vocabSize: 50277 });
  });
});

describe('config errors', () => {
  const codeOf = (j: unknown) => {
    try {
      parseHfConfig(j, 'cfg.json');
      return 'ok';
    } catch (e) {
      if (!isSparrowError(e)) throw e;
      expect(e.message).toContain('cfg.json');
      return e.code;
    }
  };
  it('typed errors', () => {
    expect(codeOf('{not json')).toBe('FORMAT_INVALID');
    expect(codeOf({ model_type: 'gpt2' })).toBe('UNSUPPORTED');
    expect(codeOf({ model_type: 'llama', hidden_size: 64 })).toBe('FORMAT_INVALID');
    expect(codeOf({ model_type: 'llama', hidden_size: 64, intermediate_size: 8, num_attention_heads: 4, num_key_value_heads: 3, num_hidden_layers: 1, vocab_size: 10 })).toBe('SHAPE_MISMATCH');
    expect(codeOf({ model_type: 'llama', hidden_size: 64, intermediate_size: 8, num_attention_heads: 4, num_hidden_layers: 1, vocab_size: 10, rope_scaling: { type: 'weird', factor: 2 } })).toBe('UNSUPPORTED');
    expect(codeOf({ model_type: 'mamba', hidden_size: 64, num_hidden_layers: 1, vocab_size: 10, time_step_rank: 'sometimes' })).toBe('FORMAT_INVALID');
    expect(codeOf({ model_type: 'rwkv', hidden_size: -3, num_hidden_layers: 1, vocab_size: 10 })).toBe('FORMAT_INVALID');
  });
});
