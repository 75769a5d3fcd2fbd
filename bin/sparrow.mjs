#!/usr/bin/env node
// Sparrow command line: runs the TypeScript sources through tsx (no build step).
// Usage: sparrow <logits|generate|prune> --model PATH … (see src/cli/main.ts or `sparrow --help`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
