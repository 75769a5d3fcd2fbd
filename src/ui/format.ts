/** Human-readable numbers for the UI (byte sizes, counts). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

/** Limits named like bytes (…Size) are shown as sizes, the rest as plain counts. */
export function formatLimit(name: string, value: number): string {
  return /Size$/.test(name) && !/WorkgroupSize/.test(name) ? formatBytes(value) : value.toLocaleString('en-US');
}
