import { parseNumberBytes } from '../../../../lib/data/csv/number';
import { parseDateBytes, daysFromCivil } from '../../../../lib/data/csv/date';
import { DEFAULT_MISSING, missingTest, parseBooleanToken, parseDateToken, parseNumberToken } from '../../../../lib/data/values';
import { Rng } from '../../../../lib/util/random';

const num = (s: string): number => {
  const b = Buffer.from(s, 'latin1');
  return parseNumberBytes(b, 0, b.length);
};

describe('numbers from bytes', () => {
  it('reads the decimal forms a spreadsheet or pandas writes', () => {
    expect(num('0')).toBe(0);
    expect(num('42')).toBe(42);
    expect(num('-13.4')).toBe(-13.4);
    expect(num('+7')).toBe(7);
    expect(num('.5')).toBe(0.5);
    expect(num('5.')).toBe(5);
    expect(num('1e3')).toBe(1000);
    expect(num('2.5E-3')).toBe(0.0025);
    expect(num('1007.7')).toBe(1007.7);
    expect(num('123456789012345678901234567890')).toBe(1.2345678901234568e29);
    expect(num('0.1')).toBe(0.1);
  });

  it('refuses what is not a plain decimal number', () => {
    for (const s of ['', '-', '+', '.', 'e5', '1e', '1e+', '1.2.3', '0x10', 'Infinity', 'NaN', '1,5', '1_000', '12a', ' 1', '--1', '1e400']) {
      expect(num(s)).toBeNaN();
    }
  });

  it('agrees with Number() to the last bit on 20,000 random decimal strings (seeded)', () => {
    const rng = new Rng(5);
    const wrong: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const intDigits = rng.int(12);
      const fracDigits = rng.int(12);
      let s = rng.float() < 0.3 ? '-' : '';
      for (let k = 0; k < intDigits; k++) s += String(rng.int(10));
      if (fracDigits > 0 || intDigits === 0) s += '.';
      for (let k = 0; k < Math.max(fracDigits, intDigits === 0 ? 1 : 0); k++) s += String(rng.int(10));
      if (rng.float() < 0.2) s += `e${rng.int(2) ? '-' : ''}${rng.int(30)}`;
      if (!Object.is(num(s), Number(s))) wrong.push(s);
    }
    expect(wrong).toEqual([]);
  });
});

describe('dates from bytes', () => {
  const date = (s: string): number => {
    const b = Buffer.from(s, 'latin1');
    return parseDateBytes(b, 0, b.length);
  };

  it('reads ISO dates and date-times as UTC epoch milliseconds', () => {
    expect(date('2008-12-01')).toBe(Date.UTC(2008, 11, 1));
    expect(date('2008/12/01')).toBe(Date.UTC(2008, 11, 1));
    expect(date('2008-1-5')).toBe(Date.UTC(2008, 0, 5));
    expect(date('2020-02-29T13:45')).toBe(Date.UTC(2020, 1, 29, 13, 45));
    expect(date('2020-02-29 13:45:07')).toBe(Date.UTC(2020, 1, 29, 13, 45, 7));
    expect(date('2020-02-29T13:45:07.25Z')).toBe(Date.UTC(2020, 1, 29, 13, 45, 7, 250));
    expect(date('2020-02-29T13:45:07+02:00')).toBe(Date.UTC(2020, 1, 29, 11, 45, 7));
    expect(date('2020-02-29T13:45:07-0130')).toBe(Date.UTC(2020, 1, 29, 15, 15, 7));
    expect(date('1969-12-31')).toBe(-86_400_000);
  });

  it('refuses impossible and ambiguous dates', () => {
    for (const s of ['2021-02-29', '2021-13-01', '2021-00-10', '2021-04-31', '01/12/2008', '12/01/2008', '2008-12', '2008-12-01T24:00', '2008-12-01T10:60', '2008-12-01x', '20081201', '2008-12/01']) {
      expect(date(s)).toBeNaN();
    }
  });

  it('counts days like Date.UTC over four centuries', () => {
    for (let y = 1800; y <= 2200; y += 7) {
      for (const [m, d] of [[1, 1], [2, 28], [3, 1], [12, 31]]) expect(daysFromCivil(y, m, d) * 86_400_000).toBe(Date.UTC(y, m - 1, d));
    }
  });
});

describe('predict-time value rules (values.ts)', () => {
  it('parse tokens as the CSV reader does, trimming spaces', () => {
    expect(parseNumberToken(' 13.4 ')).toBe(13.4);
    expect(parseNumberToken('')).toBeNaN();
    expect(parseNumberToken('0x1F')).toBeNaN();
    expect(parseNumberToken('١٢')).toBeNaN(); // non-ASCII digits are text
    expect(parseDateToken('2017-06-25')).toBe(Date.UTC(2017, 5, 25));
    expect(parseDateToken('25/06/2017')).toBeNaN();
  });

  it('read booleans in either case, and nothing else', () => {
    expect(parseBooleanToken('Yes')).toBe(true);
    expect(parseBooleanToken(' no ')).toBe(false);
    expect(parseBooleanToken('T')).toBe(true);
    expect(parseBooleanToken('0')).toBe(false);
    expect(parseBooleanToken('maybe')).toBeUndefined();
  });

  it('match missing tokens whole and ASCII case-insensitively; the empty string always', () => {
    const isMissing = missingTest();
    expect(DEFAULT_MISSING).toEqual(['', 'NA', 'N/A', 'NaN', 'null', '?', '-']);
    for (const s of ['', '  ', 'NA', 'na', 'n/a', 'NAN', 'NULL', '?', '-', null, undefined]) expect(isMissing(s)).toBe(true);
    for (const s of ['NAN1', 'N', '--', '0', 'none']) expect(isMissing(s)).toBe(false);
    const custom = missingTest(['unknown']);
    expect(custom('Unknown')).toBe(true);
    expect(custom('NA')).toBe(false);
    expect(custom('')).toBe(true);
  });
});
