/**
 * Interim value parsers (the ingestion branch replaces this file with the full rules).
 */
export const DEFAULT_MISSING: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'null', '?', '-'];

export function parseNumberToken(s: string): number {
  const t = s.trim();
  if (t === '') return NaN;
  const n = Number(t);
  return Number.isFinite(n) ? n : NaN;
}

export function parseBooleanToken(s: string): boolean | undefined {
  const t = s.trim().toLowerCase();
  if (t === 'true' || t === 'yes' || t === 't' || t === 'y') return true;
  if (t === 'false' || t === 'no' || t === 'f' || t === 'n') return false;
  return undefined;
}

export function parseDateToken(s: string): number {
  const t = s.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) return NaN;
  const iso = t.length === 10 ? `${t}T00:00:00Z` : /Z|[+-]\d{2}:?\d{2}$/.test(t) ? t.replace(' ', 'T') : `${t.replace(' ', 'T')}Z`;
  return Date.parse(iso);
}
