/** The one-token-step surface shared by MicroModel (TS) and MicroWasm (fused WASM). */
export interface MicroStepperLike {
  adapt: boolean;
  step(token: number): Float32Array;
  reset(): void;
}
