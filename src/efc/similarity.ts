/**
 * Text similarity for the non-redundancy axis. Feedback texts are normalized (case, paths, hex,
 * "[result of iteration k]" labels, durations) and every number is replaced by a placeholder; the
 * numbers themselves are bucketed on a log scale (10 % wide), so two measurements that differ only
 * by noise look alike while a real change in value does not. Similarity is the Jaccard index of word
 * 2-shingles times the share of number buckets that match position by position. Exact Jaccard is
 * used: an episode holds tens of events, far too few for MinHash to pay off.
 */

export interface NormalizedText {
  shingles: Set<string>;
  numbers: string[];
}

const NUM = /[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi;

/** Log-scale bucket (10 % wide) of a number, with its sign; 0 stays "0". */
export function bucket(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return `${x < 0 ? '-' : ''}${Math.round(Math.log(Math.abs(x)) / Math.log(1.1))}`;
}

export function normalizeText(text: string): NormalizedText {
  const t = text
    .toLowerCase()
    .replace(/\[result of iteration \d+\]/g, ' ')
    // Wall times of build steps vary run to run and say nothing about the candidate.
    .replace(/in \d+(?:\.\d+)? ms/g, ' ')
    .replace(/(?:\/[\w.-]+)+/g, ' <path> ')
    .replace(/0x[0-9a-f]+/g, ' <hex> ');
  const numbers: string[] = [];
  const words = t
    .replace(NUM, (m) => {
      numbers.push(bucket(Number(m)));
      return ' <n> ';
    })
    .split(/[^a-z<>_]+/)
    .filter(Boolean);
  const shingles = new Set<string>();
  if (words.length === 1) shingles.add(words[0]);
  for (let i = 0; i + 1 < words.length; i++) shingles.add(`${words[i]} ${words[i + 1]}`);
  return { shingles, numbers };
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

/** Similarity in [0, 1]: 1 = the same message (numbers within the same 10 % buckets). */
export function similarity(a: NormalizedText, b: NormalizedText): number {
  const words = jaccard(a.shingles, b.shingles);
  const n = Math.max(a.numbers.length, b.numbers.length);
  if (n === 0) return words;
  let same = 0;
  for (let i = 0; i < n; i++) if (a.numbers[i] !== undefined && a.numbers[i] === b.numbers[i]) same++;
  return words * (same / n);
}
