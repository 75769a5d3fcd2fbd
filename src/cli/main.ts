/**
 * `sparrow` CLI:
 *   sparrow logits   --model PATH --tokens 1,2,3 --out FILE.bin [--backend wasm|reference] [--threads N] [--sparse-layout size|speed]
 *       writes float32 little-endian logits [seq, vocab] (no header)
 *   sparrow generate --model PATH --prompt TEXT [--max-tokens N] [--temperature T] [--top-k K]
 *       [--top-p P] [--repetition-penalty R] [--seed S] [--stop STR]… [--chat [--system TEXT]] [--backend …] [--threads N] [--sparse-layout size|speed]
 *       streams the continuation to stdout
 *   sparrow prune    --model PATH --sparsity 0.8 --out DIR [--backend …]
 *       writes DIR/config.json + DIR/model.safetensors, prints the sparsity and memory report
 * PATH is a folder (config.json + model.safetensors) or a .gguf file.
 */
import { isSparrowError, SparrowError } from '../errors.ts';
import { runGenerate } from './generate.ts';
import { runLogits } from './logits.ts';
import { runPrune } from './prune.ts';

export const USAGE = `usage:
  sparrow logits   --model PATH --tokens 1,2,3 --out FILE.bin [--backend wasm|reference] [--threads N] [--sparse-layout size|speed]
  sparrow generate --model PATH --prompt TEXT [--max-tokens N] [--temperature T] [--top-k K]
                   [--top-p P] [--repetition-penalty R] [--seed S] [--stop STR]... [--chat [--system TEXT]]
                   [--backend B] [--threads N] [--sparse-layout size|speed]
  sparrow prune    --model PATH --sparsity 0.8 --out DIR [--backend wasm|reference]
PATH: a folder with config.json + model.safetensors, or a .gguf file. --sparse-layout: the layout a
pruned checkpoint's linears load into on wasm (size: word8, the default; speed: csr16n).`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'logits':
        await runLogits(rest, io);
        return 0;
      case 'generate':
        await runGenerate(rest, io);
        return 0;
      case 'prune':
        await runPrune(rest, io);
        return 0;
      case undefined:
      case '-h':
      case '--help':
        io.out(`${USAGE}\n`);
        return cmd === undefined ? 2 : 0;
      default:
        throw new SparrowError('INVALID_ARGUMENT', `unknown command '${cmd}'`);
    }
  } catch (e) {
    if (isSparrowError(e)) {
      io.err(`sparrow: error [${e.code}]: ${e.message}\n`);
      if (e.code === 'INVALID_ARGUMENT' && /unknown command|option|--/.test(e.message)) io.err(`${USAGE}\n`);
      return 1;
    }
    io.err(`sparrow: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
