import { describe, expect, it } from 'vitest';
import { tokenize } from './sql';

describe('tokenize', () => {
  it('colours keywords, functions, strings, numbers and operators', () => {
    const tokens = tokenize("SELECT count(*) FROM logs WHERE level = 'ERROR' LIMIT 10");
    const kinds = Object.fromEntries(tokens.filter((t) => t.text.trim()).map((t) => [t.text, t.kind]));
    expect(kinds.SELECT).toBe('keyword');
    expect(kinds.count).toBe('keyword');
    expect(kinds["'ERROR'"]).toBe('string');
    expect(kinds['10']).toBe('number');
    expect(kinds['=']).toBe('operator');
    expect(tokens.map((t) => t.text).join('')).toBe("SELECT count(*) FROM logs WHERE level = 'ERROR' LIMIT 10");
  });

  it('keeps text cut mid-token, as it streams', () => {
    for (const partial of ["SELECT 'unterminated", 'SELECT /* open comment', 'SEL', 'metadata->>']) {
      expect(tokenize(partial).map((t) => t.text).join('')).toBe(partial);
    }
    expect(tokenize("WHERE x = 'it''s'").find((t) => t.kind === 'string')?.text).toBe("'it''s'");
  });

  it('knows functions by their parenthesis and keeps Korean identifiers whole', () => {
    const tokens = tokenize('SELECT date_trunc(\'hour\', created_at) AS "시간"');
    expect(tokens.find((t) => t.text === 'date_trunc')?.kind).toBe('function');
    expect(tokens.some((t) => t.text.includes('"시간"'))).toBe(true);
    expect(tokenize('-- a comment\nSELECT 1')[0]).toEqual({ kind: 'comment', text: '-- a comment' });
  });
});
