import { describe, expect, it } from 'vitest';
import { toCsv, toTsv } from './csv';

describe('CSV export', () => {
  it('quotes what needs quoting and starts with a BOM for Korean text', () => {
    const csv = toCsv(['service', 'message', 'n'], [
      { service: 'payment-api', message: 'said "no", then\nfailed', n: 3 },
      { service: '결제', message: null, n: 1.5 },
    ]);
    expect(csv).toBe('\uFEFFservice,message,n\r\npayment-api,"said ""no"", then\nfailed",3\r\n결제,,1.5\r\n');
  });

  it('flattens JSON cells and tabs for pasting', () => {
    expect(toTsv(['a', 'b'], [{ a: { ip: '10.0.0.1' }, b: 'x\ty' }])).toBe('a\tb\n{"ip":"10.0.0.1"}\tx y');
  });
});
