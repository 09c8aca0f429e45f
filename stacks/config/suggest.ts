function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The closest allowed key, if it is close enough to be a plausible typo. */
export function didYouMean(key: string, allowed: readonly string[]): string | undefined {
  const ranked = allowed.map((candidate) => ({ candidate, distance: levenshtein(key, candidate) })).sort((a, b) => a.distance - b.distance);
  const best = ranked[0];
  if (best && best.distance <= Math.max(2, Math.floor(key.length / 3))) return best.candidate;
  // A key that one allowed key starts with, or that starts with one ("retention", "bucketName").
  const lower = key.toLowerCase();
  const related = allowed.filter((candidate) => candidate.length >= 4 && lower.length >= 4 && (candidate.toLowerCase().startsWith(lower) || lower.startsWith(candidate.toLowerCase())));
  return related.length === 1 ? related[0] : undefined;
}

/** `; did you mean "x"?` or nothing: the tail of a message about an unknown name. */
export const hint = (value: string, allowed: readonly string[]): string => {
  const best = didYouMean(value, allowed);
  return best ? `; did you mean "${best}"?` : "";
};

/** A long list shortened for a one-line message: the first items and how many more. */
export function listOf(items: readonly string[], max = 12): string {
  return items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")}, ... (${items.length - max} more)`;
}

/** `reason; did you mean "x"? Allowed: ...` (or `reason. Allowed: ...` without a close match). */
export function unknownName(reason: string, value: string, candidates: readonly string[], allowed: string): string {
  const best = didYouMean(value, candidates);
  return best ? `${reason}; did you mean "${best}"? Allowed: ${allowed}` : `${reason}. Allowed: ${allowed}`;
}
