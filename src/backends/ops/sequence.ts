/**
 * Sequence-model kernels: Mamba (S6) selective scan and its causal depthwise conv, RWKV-4 WKV, RWKV-7 WKV,
 * BitNet b1.58 ternary matvec (direct and T-MAC-style lookup table) and the delta-rule memory.
 * Semantics follow /work/shared/specs/sequence-kernels.md (Hugging Face MambaMixer.slow_forward,
 * rwkv_linear_attention_cpu, BitNet utils_quant).
 *
 * Conventions shared by every op here:
 * - Batch is 1 (one sequence); activations are token-major [T, channels] like every other op
 *   (the Hugging Face code works channel-major [B, C, L]; state tensors keep HF's per-batch layout).
 * - T = 1 is the recurrent decode step, T > 1 is prefill. Both read the state tensor as the
 *   initial state and overwrite it with the final state, so "prefill T tokens" and "T single
 *   steps" leave identical state (up to f32 rounding of intermediate states) and can be chained.
 * - `state` is updated in place; `out` must not alias any input.
 * - Nullable tensors (`null`) mean "absent" (no bias, no D, no gate).
 */
import type { Tensor } from '../backend.ts';

export interface SequenceOps {
  /**
   * Causal depthwise conv1d (Mamba `conv1d`, groups = C, padding K−1, keep the first L outputs).
   *   x     f32 [T, C]   inputs (token-major)
   *   w     f32 [C, K]   HF `conv1d.weight` [C, 1, K] squeezed
   *   bias  f32 [C] | null
   *   state f32 [C, K]   HF `conv_states[b]`: the K most recent inputs per channel, oldest first.
   *                      Zeros for a fresh sequence. On return it holds the last K inputs of
   *                      [old state, x] (exactly what HF's decode roll leaves after each token).
   *   out   f32 [T, C]   out[t,c] = Σ_k w[c,k]·xin[c, t+k+1] + bias[c], with xin = [state, x]
   *                      along time (state columns 1..K−1 are the left context); SiLU if `silu`.
   */
  causalConv1d(out: Tensor, x: Tensor, w: Tensor, bias: Tensor | null, state: Tensor, silu: boolean): void;

  /**
   * Mamba S6 selective scan (HF MambaMixer.slow_forward steps 4–8, before out_proj).
   *   x      f32 [T, I]   conv output after SiLU ("hidden_states")
   *   dt     f32 [T, I]   Δ before activation: dt_proj(dt_raw) WITHOUT its bias
   *   a      f32 [I, N]   A = −exp(A_log) (precompute once at load time)
   *   b      f32 [T, N]   B rows of x_proj (split x_proj's weight into dt/B/C parts at load time)
   *   c      f32 [T, N]   C rows of x_proj
   *   d      f32 [I] | null          skip term D
   *   z      f32 [T, I] | null       gate: y ← y ⊙ SiLU(z)
   *   dtBias f32 [I] | null          dt_proj.bias, added to dt before the softplus
   *   state  f32 [I, N]   HF `ssm_states[b]`, updated in place
   *   deltaSoftplus       Δ = softplus(dt + dtBias) when true (Mamba), Δ = dt + dtBias when false
   *   out    f32 [T, I]   y_t[c] = Σ_n h_t[c,n]·C_t[n] + D[c]·x_t[c]  (⊙ SiLU(z_t[c]))
   * with h_t = exp(A·Δ_t) ⊙ h_{t−1} + Δ_t·B_t·x_t.
   */
  selectiveScan(
    out: Tensor,
    x: Tensor,
    dt: Tensor,
    a: Tensor,
    b: Tensor,
    c: Tensor,
    d: Tensor | null,
    z: Tensor | null,
    dtBias: Tensor | null,
    state: Tensor,
    deltaSoftplus: boolean,
  ): void;

  /**
   * RWKV-4 WKV in the stable (num, den, max) form of HF rwkv_linear_attention_cpu.
   *   k, v       f32 [T, C]
   *   timeDecay  f32 [C]    the raw parameter; the kernel uses w = −exp(timeDecay)
   *   timeFirst  f32 [C]    u
   *   state      f32 [3, C] rows num, den, max (HF state[2], state[3], state[4] of one layer).
   *              A fresh sequence starts at num = den = 0, max = −1e38 (or HF's model-level −1e30).
   *   out        f32 [T, C] wkv_t (before the receptance gate and output projection)
   */
  wkv4(out: Tensor, k: Tensor, v: Tensor, timeDecay: Tensor, timeFirst: Tensor, state: Tensor): void;

  /**
   * BitNet b1.58 linear layer: per-row int8 absmax activation quantization (round half to even),
   * integer dot products with the ternary weight, one scale at the end:
   *   s_x = 127 / max(max|x_row|, 1e-5);  x_q = clamp(rne(x·s_x), −128, 127)  (f32 arithmetic)
   *   out[r, m] = (Σ_k x_q[r,k]·W_q[m,k]) · γ / s_x
   *   w    'ternary' [M, K]  built by `quantizeTernary` (see reference/sequence.ts for the layout)
   *   x    f32 [R, K] (or [K])   out f32 [R, M] (or [M])
   */
  ternaryMatvec(out: Tensor, w: Tensor, x: Tensor): void;

  /**
   * Same result as ternaryMatvec (bit-identical integer sums), computed T-MAC style: for every
   * group of 4 quantized activations a 16-entry table of all subset sums is built once per row
   * of x, and each weight group adds table[plus-mask] − table[minus-mask] (no multiplies).
   */
  ternaryMatvecLut(out: Tensor, w: Tensor, x: Tensor): void;

  /**
   * Delta-rule associative memory (DeltaNet), per head h and token t:
   *   M ← M − β_t (M k_t − v_t) k_tᵀ ;  y_t = M q_t   (read after the write)
   *   q, k   f32 [T, H, Dk]     v f32 [T, H, Dv]     beta f32 [T, H]
   *   state  f32 [H, Dv, Dk]    M per head (row i maps keys to value component i)
   *   out    f32 [T, H, Dv]
   */
  deltaRule(out: Tensor, q: Tensor, k: Tensor, v: Tensor, beta: Tensor, state: Tensor): void;

  /**
   * RWKV-7 WKV, the generalized delta rule of llama.cpp's `ggml_rwkv_wkv7`, per head h (head size
   * N = state.shape[1], H = state.shape[0], C = H·N) and token t, for each value row i of the head:
   *   sa_i      = Σ_j a_t[j] · S[i][j]                      (S before this token's update)
   *   S[i][j]  ← S[i][j] · w_t[j] + v_t[i] · k_t[j] + sa_i · b_t[j]
   *   out_t[i]  = Σ_j S[i][j] · r_t[j]                      (S after the update)
   * with j, i the head's channels h·N + (0..N−1).
   *   r, w, k, v, a, b  f32 [T, C]   w is the decay factor itself (RWKV-7: exp(−e^−½ · σ(·)), in (0, 1));
   *                                  the model passes a = −κ̂ and b = κ̂ ⊙ iclr
   *   state             f32 [H, N, N] S per head, row i = value channel i (llama.cpp's layout), in place
   *   out               f32 [T, C]
   */
  wkv7(out: Tensor, r: Tensor, w: Tensor, k: Tensor, v: Tensor, a: Tensor, b: Tensor, state: Tensor): void;

  /**
   * RWKV-7's per-head "bonus" added to the (group-normed) WKV output, in place:
   *   out_t[i] += v_t[i] · Σ_{j in i's head} r_t[j] · k_t[j] · u[j]
   *   out, r, k, v  f32 [T, C]   u f32 [C] (the layer's r_k)   headSize N divides C
   */
  wkv7Bonus(out: Tensor, r: Tensor, k: Tensor, v: Tensor, u: Tensor, headSize: number): void;
}
