// Character-level text: Moby-Dick from its package (parts chosen by name or range), any UTF-8
// file, contiguous train/validation/test parts, the vocabulary of the training part with an
// unknown symbol, next-character windows; and the copy task.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  copyLength,
  copyTask,
  loadDataset,
  loadText,
  mobyDickSections,
  readText,
  textParts,
  UNKNOWN_SYMBOL,
} from '../../src/data/index.ts';
import { DataError, SpecError } from '../../src/errors.ts';
import { rng } from '../../src/random.ts';

const file = (text: string | Buffer) => {
  const p = join(mkdtempSync(join(tmpdir(), 'rulebench-text-')), 'corpus.txt');
  writeFileSync(p, text);
  return p;
};

describe('text data', () => {
  it('reads Moby-Dick from its package: parts in book order, ranges, chapter headings', () => {
    const parts = mobyDickSections();
    expect(parts.slice(0, 4)).toEqual(['contents', 'etymology', 'extracts', 'chapter_1']);
    expect(parts.at(-1)).toBe('epilogue');
    expect(parts).toHaveLength(139);
    const one = readText({ sections: 'chapter_1' });
    expect(one.startsWith('CHAPTER 1. Loomings.\n\nCall me Ishmael.')).toBe(true);
    const two = readText({ sections: 'chapter_1..chapter_2' });
    expect(two.startsWith(one)).toBe(true);
    expect(two).toContain('CHAPTER 2. The Carpet-Bag.');
    expect(() => readText({ sections: 'chapter_9..chapter_2' })).toThrow(SpecError);
    expect(() => readText({ sections: 'prologue' })).toThrow(/not a part/);
  });

  it('cuts a text into contiguous parts and draws the vocabulary from the training part only', () => {
    const text = 'abcabcabcabcabcabcab' + 'xyz' + 'abcq';
    const p = file(text);
    const [train, val, test] = textParts({ source: p, split: [20 / 27, 3 / 27, 4 / 27] });
    expect([train.join(''), val.join(''), test.join('')]).toEqual(['abcabcabcabcabcabcab', 'xyz', 'abcq']);
    const t = loadText({ source: p, split: [20 / 27, 3 / 27, 4 / 27], context: 2 });
    expect(t.vocab).toEqual([UNKNOWN_SYMBOL, 'a', 'b', 'c']);
    // Validation's x, y, z are unknown to the training vocabulary.
    expect(Array.from(t.validation.x)).toEqual([0, 0]);
    expect(Array.from(t.validation.y)).toEqual([0, 0]);
    // Windows: x = s[i..i+T), y = s[i+1..i+T+1).
    expect(Array.from(t.train.x.subarray(0, 4))).toEqual([1, 2, 3, 1]);
    expect(Array.from(t.train.y.subarray(0, 4))).toEqual([2, 3, 1, 2]);
    expect(t.train.n).toBe(9);
    expect(t.train.positions).toBe(2);
    expect(t.train.tokens?.unit).toBe('char');
    expect(Array.from(t.test.y)).toEqual([2, 3, 0, 0].slice(0, 2));
  });

  it("overlapping training windows with a stride; caps; another text's vocabulary", () => {
    const p = file('hello world, hello there. '.repeat(20));
    const t = loadText({ source: p, context: 8, stride: 4, train: 10, evalWindows: 1 });
    expect(t.train.n).toBe(10);
    expect(Array.from(t.train.x.subarray(8, 12))).toEqual(Array.from(t.train.x.subarray(4, 8)));
    expect([t.validation.n, t.test.n]).toEqual([1, 1]);
    const other = loadText({ source: p, context: 8, vocabulary: { sections: 'chapter_1' } });
    expect(other.vocab).toEqual(loadText({ sections: 'chapter_1', context: 8 }).vocab);
  });

  it('any UTF-8 file; refuses invalid UTF-8 and missing files, naming them', () => {
    expect(readText({ source: file('naïve — ok') })).toBe('naïve — ok');
    const bad = file(Buffer.from([0x61, 0xff, 0x62]));
    expect(() => readText({ source: bad })).toThrow(DataError);
    expect(() => readText({ source: bad })).toThrow(/not valid UTF-8/);
    expect(() => readText({ source: '/nonexistent/corpus.txt' })).toThrow(/no such file/);
    expect(() => loadText({ source: file('ab'), context: 8 })).toThrow(/no window/);
  });

  it('is registered as the "text" dataset with its own validation part', () => {
    const tt = loadDataset('text', { sections: 'chapter_1', context: 32, train: 20, evalWindows: 3 });
    expect(tt.train.n).toBe(20);
    expect(tt.validation?.n).toBe(3);
    expect(tt.train.shape).toEqual([32]);
  });
});

describe('copy task', () => {
  it('scores only the recall positions, which repeat the symbols after the marker', () => {
    const ds = copyTask(3, { length: 3, delay: 2, symbols: 4 }, rng(1));
    const T = copyLength({ length: 3, delay: 2 });
    expect(T).toBe(8);
    for (let i = 0; i < 3; i++) {
      const x = Array.from(ds.x.subarray(i * T, (i + 1) * T));
      const y = Array.from(ds.y.subarray(i * T, (i + 1) * T));
      expect(x.slice(3)).toEqual([0, 0, 5, 0, 0]);
      expect(y.slice(0, 5)).toEqual([-1, -1, -1, -1, -1]);
      expect(y.slice(5)).toEqual(x.slice(0, 3));
      expect(x.slice(0, 3).every((s) => s >= 1 && s <= 4)).toBe(true);
    }
    expect(ds.classes).toBe(6);
    expect(ds.tokens?.unit).toBe('symbol');
  });
});
