import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CROCKFORD_ALPHABET,
  TOKEN_BODY_CHARS,
  checkCharacter,
  parseToken,
  tokenFromRandom,
  tokenRecognitionPrefix,
} from '../../src/shared/token-format';

const sample = Array.from({ length: 40 }, () => tokenFromRandom('GATE', randomBytes(32)));

/** Positions of body characters (not hyphens, not the prefix) in the display form. */
function bodyPositions(token: string): number[] {
  const start = token.indexOf('-') + 1;
  return [...token].map((c, i) => (i >= start && c !== '-' ? i : -1)).filter((i) => i >= 0);
}

describe('token text form', () => {
  it('is PREFIX then groups of four Crockford characters', () => {
    for (const token of sample) {
      expect(token).toMatch(/^GATE(-[0-9A-HJKMNP-TV-Z]{4}){7}$/);
    }
  });

  it('carries at least 96 random bits', () => {
    expect((TOKEN_BODY_CHARS - 1) * Math.log2(CROCKFORD_ALPHABET.length)).toBeGreaterThanOrEqual(96);
    expect(new Set(sample).size).toBe(sample.length);
  });

  it('parses its own output', () => {
    for (const token of sample) expect(parseToken(token)).toMatchObject({ ok: true, display: token });
  });

  it('names the prefix and first group for recognition', () => {
    expect(tokenRecognitionPrefix('GATE-7Y3K-MNBV-2QP5')).toBe('GATE-7Y3K');
  });
});

describe('check character', () => {
  it('catches every single mistyped character', () => {
    let tried = 0;
    for (const token of sample.slice(0, 10)) {
      for (const i of bodyPositions(token)) {
        for (const replacement of CROCKFORD_ALPHABET) {
          if (replacement === token[i]) continue;
          const typo = token.slice(0, i) + replacement + token.slice(i + 1);
          expect(parseToken(typo)).toEqual({ ok: false, reason: 'check' });
          tried++;
        }
      }
    }
    expect(tried).toBe(10 * 28 * 31);
  });

  it('catches every swap of two neighbours, across hyphens and including the check character', () => {
    let tried = 0;
    for (const token of sample) {
      const positions = bodyPositions(token);
      for (let k = 0; k + 1 < positions.length; k++) {
        const [a, b] = [positions[k]!, positions[k + 1]!];
        if (token[a] === token[b]) continue;
        const chars = [...token];
        [chars[a], chars[b]] = [chars[b]!, chars[a]!];
        expect(parseToken(chars.join(''))).toEqual({ ok: false, reason: 'check' });
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(sample.length * 20);
  });

  it('catches a swap of the last body character with the check character for every pair of values', () => {
    for (const x of CROCKFORD_ALPHABET) {
      const body = `ABCDEFGHJKMNPQRSTVWXYZ01234${x}`.slice(-27);
      const k = checkCharacter(body);
      if (k === x) continue;
      const swapped = body.slice(0, -1) + k;
      expect(checkCharacter(swapped)).not.toBe(x);
    }
  });
});

describe('forgiving input', () => {
  const token = sample[0]!;

  it('ignores case, hyphens and spaces', () => {
    const messy = token.toLowerCase().replace(/-/g, ' ').replace(/ /, '');
    expect(parseToken(messy)).toMatchObject({ ok: true, display: token });
    expect(parseToken(token.replace(/-/g, ''))).toMatchObject({ ok: true, display: token });
  });

  it('reads O as 0 and I or L as 1', () => {
    const withZero = tokenFromRandom('GATE', new Uint8Array(32).fill(0)); // all zeros
    const withOne = tokenFromRandom('GATE', new Uint8Array(32).fill(1)); // all ones
    expect(parseToken(withZero.slice(0, 5) + withZero.slice(5).replace(/0/g, 'O'))).toMatchObject({
      ok: true,
      display: withZero,
    });
    expect(parseToken(withOne.slice(0, 5) + withOne.slice(5).replace(/1/g, 'l'))).toMatchObject({
      ok: true,
      display: withOne,
    });
    expect(parseToken(withOne.slice(0, 5) + withOne.slice(5).replace(/1/g, 'I'))).toMatchObject({
      ok: true,
      display: withOne,
    });
  });

  it('accepts a token whose prefix setting has changed since', () => {
    const body = token.slice(5);
    expect(parseToken(`LAB-${body}`)).toMatchObject({ ok: true });
  });

  it('refuses text that is too short or outside the alphabet', () => {
    expect(parseToken('GATE-1234')).toEqual({ ok: false, reason: 'length' });
    expect(parseToken(token.slice(0, -1) + 'U')).toEqual({ ok: false, reason: 'alphabet' });
    expect(parseToken(token.slice(0, -1) + '*')).toEqual({ ok: false, reason: 'alphabet' });
  });
});
