import { describe, expect, it } from 'vitest';
import { appendCharWbNgrams, appendWordNgrams, normalizeText, wordTokens } from './tokenize.js';

const words = (text: string): string[] => {
  const out: string[] = [];
  appendWordNgrams(wordTokens(normalizeText(text)), [1, 2], out);
  return out;
};
const chars = (text: string, range: [number, number] = [2, 5]): string[] => {
  const out: string[] = [];
  appendCharWbNgrams(normalizeText(text), range, out);
  return out;
};

describe('word n-grams', () => {
  it("match sklearn's word analyzer (ngram_range=(1, 2))", () => {
    // TfidfVectorizer(ngram_range=(1,2)).build_analyzer()("A café_au lait: it's 2 good"), scikit-learn 1.2.1
    expect(words("A café_au lait: it's 2 good")).toEqual(['café_au', 'lait', 'it', 'good', 'café_au lait', 'lait it', 'it good']);
  });

  it('keep combining marks inside a word and split on punctuation', () => {
    expect(wordTokens('नमस्ते दुनिया')).toEqual(['नमस्ते', 'दुनिया']);
    expect(wordTokens('e-mail@x.org')).toEqual(['mail', 'org']);
  });

  it('yield nothing for text without words', () => {
    expect(words('? ! 1 a')).toEqual([]);
  });
});

describe('char_wb n-grams', () => {
  it("match sklearn's char_wb analyzer (ngram_range=(2, 5))", () => {
    // TfidfVectorizer(analyzer='char_wb', ngram_range=(2,5)).build_analyzer()("Hi  there, éa!"), scikit-learn 1.2.1
    expect(chars('Hi  there, éa!')).toEqual([
      ' h', 'hi', 'i ', ' hi', 'hi ', ' hi ',
      ' t', 'th', 'he', 'er', 're', 'e,', ', ', ' th', 'the', 'her', 'ere', 're,', 'e, ', ' the', 'ther', 'here', 'ere,', 're, ', ' ther', 'there', 'here,', 'ere, ',
      ' é', 'éa', 'a!', '! ', ' éa', 'éa!', 'a! ', ' éa!', 'éa! ', ' éa! ',
    ]); // prettier-ignore
  });

  it('count code points, not UTF-16 units, for characters outside the BMP', () => {
    // ' 😀a ' has 4 code points: 2-grams ' 😀', '😀a', 'a '; 3-grams ' 😀a', '😀a '; 4-gram is the whole word.
    expect(chars('😀a', [2, 5])).toEqual([' 😀', '😀a', 'a ', ' 😀a', '😀a ', ' 😀a ']);
  });

  it('emit a padded word shorter than n once', () => {
    expect(chars('a', [3, 5])).toEqual([' a ']);
  });
});
