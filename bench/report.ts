/** Writing bench results: the JSON record and a markdown table grouped by family. */
import type { BenchResult } from './cases/types.ts';
import type { BenchEnvironment } from './messages.ts';

export interface BenchReport {
  /** The command line that produced the file. */
  command: string;
  /** ISO date of the run (inside the file; file names stay timestamp-free). */
  date: string;
  quick: boolean;
  environment: BenchEnvironment;
  results: BenchResult[];
}

const num = (x: number | undefined, digits: number) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(digits));

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 3 : 1)} MiB`;
}

/** "stored / dense" for compressed operands, e.g. "12.8 MiB (20.00 % of dense)" (two decimals: size targets sit at a percentage). */
function storage(r: BenchResult): string {
  if (r.storedBytes === undefined) return '';
  return r.denseBytes ? `${mib(r.storedBytes)} (${((100 * r.storedBytes) / r.denseBytes).toFixed(2)} % of dense)` : mib(r.storedBytes);
}

const key = (r: Pick<BenchResult, 'op' | 'shape' | 'dtype'>) => `${r.op} ${r.shape} ${r.dtype}`;

/**
 * Rows of one case side by side (backends adjacent), cases in declaration order. Results arrive
 * backend after backend, and a backend may run only some cases, so a case's rank is its largest
 * position within any one backend's run (the backend that ran the most cases decides).
 */
function grouped(rows: BenchResult[]): BenchResult[] {
  const rank = new Map<string, number>();
  const first = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const r of rows) {
    if (!first.has(key(r))) first.set(key(r), first.size);
    const pos = seen.get(r.backend) ?? 0;
    seen.set(r.backend, pos + 1);
    rank.set(key(r), Math.max(rank.get(key(r)) ?? 0, pos));
  }
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank.get(key(a.r))! - rank.get(key(b.r))! || first.get(key(a.r))! - first.get(key(b.r))! || a.i - b.i)
    .map((x) => x.r);
}

/** "0.42× baseline time" when the case names a baseline that ran on the same backend. */
function versusBaseline(r: BenchResult, all: BenchResult[]): string {
  if (!r.baseline || r.error) return '';
  const base = all.find((b) => b.backend === r.backend && key(b) === r.baseline && !b.error);
  return base ? `${(r.medianMs / base.medianMs).toFixed(2)}× the time of ${r.baseline}` : '';
}

export function toMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  lines.push(`Command: \`${report.command}\` — ${report.date.slice(0, 10)}${report.quick ? ' (quick: 5 runs, not for publication)' : ''}`, '');
  lines.push(`Browser: ${report.environment.userAgent} (${report.environment.hardwareConcurrency} logical cores)`, '');
  for (const [name, info] of Object.entries(report.environment.backends)) lines.push(`- **${name}**: ${info}`);
  const families = [...new Set(report.results.map((r) => r.family))];
  for (const family of families) {
    const rows = grouped(report.results.filter((r) => r.family === family));
    const hasStorage = rows.some((r) => r.storedBytes !== undefined);
    const hasTokens = rows.some((r) => r.tokensPerS !== undefined);
    lines.push('', `### ${family}`, '');
    const head = ['op', 'shape', 'dtype', 'backend', 'median ms', 'min ms', 'GB/s', 'GFLOP/s', ...(hasTokens ? ['tokens/s'] : []), ...(hasStorage ? ['stored'] : []), 'runs', 'note'];
    lines.push(`| ${head.join(' | ')} |`, `| ${head.map((h, i) => (i >= 4 && i < head.length - 2 && h !== 'stored' ? '---:' : '---')).join(' | ')} |`);
    for (const r of rows) {
      const note = r.error ? `error: ${r.error.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 140)}` : [versusBaseline(r, report.results), r.note].filter(Boolean).join('; ');
      const cells = [
        r.op,
        r.shape,
        r.dtype,
        r.backend,
        num(r.medianMs, 3),
        num(r.minMs, 3),
        num(r.gbPerS, 2),
        num(r.gflopPerS, 2),
        ...(hasTokens ? [num(r.tokensPerS, 1)] : []),
        ...(hasStorage ? [storage(r)] : []),
        r.error ? '' : String(r.runs),
        note,
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n') + '\n';
}
