/**
 * GGML tensor type ids and block layouts (ggml.h `enum ggml_type`, ggml.c `type_traits`).
 * Every id a GGUF file may carry is listed with its block size so a parser can size any tensor,
 * even one whose dequantization we do not implement (that fails later, as UNSUPPORTED).
 */
export interface GgmlTypeInfo {
  readonly id: number;
  readonly name: string;
  /** Elements per block. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

const T = (id: number, name: string, blockSize: number, typeSize: number): GgmlTypeInfo => ({ id, name, blockSize, typeSize });

/** QK_K: elements per k-quant super-block. */
export const QK_K = 256;

export const GGML_TYPES: readonly GgmlTypeInfo[] = [
  T(0, 'F32', 1, 4),
  T(1, 'F16', 1, 2),
  T(2, 'Q4_0', 32, 18),
  T(3, 'Q4_1', 32, 20),
  T(6, 'Q5_0', 32, 22),
  T(7, 'Q5_1', 32, 24),
  T(8, 'Q8_0', 32, 34),
  T(9, 'Q8_1', 32, 36),
  T(10, 'Q2_K', QK_K, 84),
  T(11, 'Q3_K', QK_K, 110),
  T(12, 'Q4_K', QK_K, 144),
  T(13, 'Q5_K', QK_K, 176),
  T(14, 'Q6_K', QK_K, 210),
  T(15, 'Q8_K', QK_K, 292),
  T(16, 'IQ2_XXS', QK_K, 66),
  T(17, 'IQ2_XS', QK_K, 74),
  T(18, 'IQ3_XXS', QK_K, 98),
  T(19, 'IQ1_S', QK_K, 50),
  T(20, 'IQ4_NL', 32, 18),
  T(21, 'IQ3_S', QK_K, 110),
  T(22, 'IQ2_S', QK_K, 82),
  T(23, 'IQ4_XS', QK_K, 136),
  T(24, 'I8', 1, 1),
  T(25, 'I16', 1, 2),
  T(26, 'I32', 1, 4),
  T(27, 'I64', 1, 8),
  T(28, 'F64', 1, 8),
  T(29, 'IQ1_M', QK_K, 56),
  T(30, 'BF16', 1, 2),
  T(34, 'TQ1_0', QK_K, 54),
  T(35, 'TQ2_0', QK_K, 66),
];

const BY_ID = new Map(GGML_TYPES.map((t) => [t.id, t]));
const BY_NAME = new Map(GGML_TYPES.map((t) => [t.name, t]));

export function ggmlType(id: number): GgmlTypeInfo | undefined {
  return BY_ID.get(id);
}

export function ggmlTypeByName(name: string): GgmlTypeInfo {
  const t = BY_NAME.get(name);
  if (!t) throw new Error(`unknown ggml type name ${name}`);
  return t;
}

/** Bytes of one row of `cols` elements (cols must be a multiple of the block size). */
export function rowBytes(t: GgmlTypeInfo, cols: number): number {
  return (cols / t.blockSize) * t.typeSize;
}

/**
 * Backend dtypes that hold raw GGML blocks (src/backends/backend.ts `DType`) → GGML type names.
 * A tensor(shape, 'q8_0', bytes) takes exactly the bytes of a GGUF tensor of that type.
 * BF16 is a block type of one element (2 bytes): kept raw, it halves an f32 copy exactly.
 */
export const QUANT_DTYPES = {
  bf16: 'BF16', q8_0: 'Q8_0', q4_0: 'Q4_0', q4_1: 'Q4_1', q5_0: 'Q5_0', q5_1: 'Q5_1', iq4_nl: 'IQ4_NL', iq4_xs: 'IQ4_XS', iq3_xxs: 'IQ3_XXS', iq3_s: 'IQ3_S', iq2_s: 'IQ2_S', iq2_xxs: 'IQ2_XXS', iq2_xs: 'IQ2_XS', iq1_s: 'IQ1_S', iq1_m: 'IQ1_M',
  q2_k: 'Q2_K', q3_k: 'Q3_K', q4_k: 'Q4_K', q5_k: 'Q5_K', q6_k: 'Q6_K',
} as const;
export type QuantDType = keyof typeof QUANT_DTYPES;

export function isQuantDType(d: string): d is QuantDType {
  return d in QUANT_DTYPES;
}

/** The backend dtype for a GGML type, or null when weights of that type must be dequantized on load. */
export function quantDTypeOf(ggmlName: string): QuantDType | null {
  for (const [k, v] of Object.entries(QUANT_DTYPES)) if (v === ggmlName) return k as QuantDType;
  return null;
}
