/**
 * The malformed inputs of issue 5's bad-input suite, shared by the lib-level test
 * (test/unit/ingest-bad.test.ts) and the same inputs sent through the HTTP gateway
 * (test/e2e/bad-uploads.test.ts).
 */
import { gzipSync } from 'node:zlib';
import type { ErrorCode } from '../../lib/errors';
import type { IngestOptions } from '../../lib/data/ingest';
import { Rng } from '../../lib/util/random';
import { chunked } from '../unit/data/csv/helpers';

export type Input = string | Buffer | (() => AsyncIterable<Uint8Array>);

export interface Case {
  name: string;
  input: Input;
  options?: IngestOptions;
  code: ErrorCode;
  /** 1-based line the error must name (in `data.line` and in the message). */
  line?: number;
  column?: string;
  message?: RegExp;
}

const rows = (n: number, row: (i: number) => string): string => Array.from({ length: n }, (_, i) => `${row(i)}\n`).join('');
const randomBytes = (n: number, seed: number): Buffer => {
  const rng = new Rng(seed);
  return Buffer.from(Array.from({ length: n }, () => rng.int(256)));
};
const utf16 = (s: string): Buffer => Buffer.from(s, 'utf16le');

export const CASES: Case[] = [
  // -- nothing to read
  { name: 'an empty file', input: '', code: 'EMPTY_FILE', message: /empty/ },
  { name: 'only line breaks', input: '\n\n\r\n\r', code: 'EMPTY_FILE' },
  { name: 'only a BOM', input: '\uFEFF', code: 'EMPTY_FILE' },
  { name: 'only whitespace lines', input: '   \n\t\t\n  \n', code: 'EMPTY_FILE' },
  { name: 'a header only', input: 'a,b,c\n', code: 'NO_DATA_ROWS', message: /header \(3 columns\) but no data rows/ },
  { name: 'a header followed by blank lines', input: 'a,b,c\r\n\r\n  \r\n', code: 'NO_DATA_ROWS' },
  { name: 'a header without a line break', input: '\uFEFFa,b,c', code: 'NO_DATA_ROWS' },
  // -- not CSV text
  { name: 'binary garbage', input: randomBytes(4096, 1), code: 'NOT_CSV', message: /binary data/ },
  { name: 'control bytes without NULs', input: Buffer.from(Array.from({ length: 2000 }, (_, i) => (i % 3 === 0 ? 1 + (i % 8) : 65))), code: 'NOT_CSV' },
  { name: 'a PNG image', input: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]), randomBytes(100, 2)]), code: 'NOT_CSV', message: /PNG/ },
  {
    name: 'an .xlsx workbook (ZIP)',
    input: Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), randomBytes(100, 3)]),
    code: 'NOT_CSV',
    message: /ZIP.*export the sheet as CSV/,
  },
  { name: 'a PDF', input: '%PDF-1.7\n%âãÏÓ\n', code: 'NOT_CSV', message: /PDF/ },
  { name: 'a gzipped image', input: gzipSync(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), randomBytes(100, 4)])), code: 'NOT_CSV' },
  { name: 'a NUL byte in the first lines', input: `a,b\n1,x\n2,y\0\n`, code: 'NOT_CSV', line: 3, message: /NUL byte/ },
  { name: 'a NUL byte deep in the file', input: `a,b\n${rows(20000, (i) => `${i},x${i % 7}`)}9,bad\0value\n`, code: 'NOT_CSV', line: 20002, column: 'b' },
  // -- encodings
  {
    name: 'truncated gzip',
    input: gzipSync(Buffer.from(rows(2000, (i) => `${i},${i * 2}`))).subarray(0, 300),
    code: 'BAD_ENCODING',
    message: /gzip data is damaged/,
  },
  { name: 'gzip magic then garbage', input: Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(200, 5)]), code: 'BAD_ENCODING', message: /gzip/ },
  { name: 'UTF-16 with a BOM', input: Buffer.concat([Buffer.from([0xff, 0xfe]), utf16('a,b\n1,2\n')]), code: 'BAD_ENCODING', message: /UTF-16/ },
  { name: 'UTF-16 without a BOM', input: utf16('name,value\nalpha,1\nbeta,2\n'), code: 'BAD_ENCODING', message: /UTF-16/ },
  {
    name: 'a Latin-1 byte in a text value',
    input: Buffer.concat([Buffer.from('city,temp\nRome,20\nOslo,5\n'), Buffer.from('Z\xfcrich,12\n', 'latin1')]),
    code: 'BAD_ENCODING',
    line: 4,
    column: 'city',
    message: /not valid UTF-8.*save the file as UTF-8/,
  },
  {
    name: 'invalid UTF-8 in the header',
    input: Buffer.concat([Buffer.from('id,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n1,2\n')]),
    code: 'BAD_ENCODING',
    line: 1,
  },
  {
    name: 'an overlong UTF-8 sequence',
    input: Buffer.concat([Buffer.from('k,v\na,1\n'), Buffer.from([0xc0, 0xaf]), Buffer.from(',2\n')]),
    code: 'BAD_ENCODING',
    line: 3,
    column: 'k',
  },
  // -- structure
  { name: 'an unclosed quote at the end', input: 'a,b\n1,"x\n2,y\n', code: 'CSV_PARSE_ERROR', line: 2, column: 'b', message: /never closed/ },
  {
    name: 'an unbalanced quote swallowing the file',
    input: `a,b\n1,"oops\n${rows(3000, (i) => `${i},${'y'.repeat(40)}`)}`,
    options: { maxFieldBytes: 64 * 1024 },
    code: 'FIELD_TOO_LARGE',
    line: 2,
    column: 'b',
    message: /closing quote is missing/,
  },
  { name: 'text after a closing quote', input: 'a,b\n1,x\n2,"ab"c\n', code: 'CSV_PARSE_ERROR', line: 3, column: 'b', message: /after a closing quote/ },
  { name: 'a row with too many fields', input: 'a,b,c\n1,2,3\n4,5,6,7\n', code: 'RAGGED_ROW', line: 3, message: /line 3 has 4 fields where the header has 3/ },
  { name: 'a row with too few fields', input: 'a,b,c\n1,2,3\n4,5\n', code: 'RAGGED_ROW', line: 3, message: /2 fields where the header has 3/ },
  { name: 'a ragged row on line 50,001', input: `a,b\n${rows(49999, (i) => `${i},${i % 3}`)}1,2,3\n`, code: 'RAGGED_ROW', line: 50001, message: /line 50,001/ },
  {
    name: 'decimal commas in a comma-separated file',
    input: 'x,y\n1,5,2\n2,5,3\n',
    options: { header: true, delimiter: ',' },
    code: 'RAGGED_ROW',
    line: 2,
    message: /delimiter/,
  },
  {
    name: 'a wrong delimiter given',
    input: 'a;b;c\n1;2;3\n4;5;6\n',
    options: { delimiter: ',' },
    code: 'WRONG_DELIMITER',
    line: 1,
    message: /pass delimiter: ";"/,
  },
  {
    name: 'a 10 MB single field',
    input: () => chunked(Buffer.from(`a,b\n1,${'x'.repeat(10 * 1024 * 1024)}\n2,y\n`), 64 * 1024),
    code: 'FIELD_TOO_LARGE',
    line: 2,
    column: 'b',
    message: /longer than 1 MiB/,
  },
  {
    name: 'a field over maxFieldBytes',
    input: `a,b\n1,2\n3,${'z'.repeat(200)}\n`,
    options: { maxFieldBytes: 100 },
    code: 'FIELD_TOO_LARGE',
    line: 3,
    column: 'b',
  },
  { name: 'duplicate column names', input: 'a,b,a\n1,2,3\n', code: 'DUPLICATE_COLUMN', line: 1, message: /'a' twice \(columns #1 and #3\)/ },
  { name: 'column names equal after trimming', input: 'a, b ,b\n1,2,3\n', code: 'DUPLICATE_COLUMN', line: 1, message: /'b' twice/ },
  { name: 'more columns than maxColumns', input: 'a,b,c,d,e,f\n1,2,3,4,5,6\n', options: { maxColumns: 5 }, code: 'TOO_MANY_COLUMNS', line: 1 },
  {
    name: 'a 20,000-column header',
    input: `${Array.from({ length: 20000 }, (_, i) => `c${i}`).join(',')}\n`,
    code: 'TOO_MANY_COLUMNS',
    line: 1,
    message: /10,000/,
  },
  // -- sizes
  {
    name: 'input over maxBytes',
    input: () => chunked(Buffer.from(rows(100000, (i) => `${i},${i}`)), 4096),
    options: { maxBytes: 100_000 },
    code: 'PAYLOAD_TOO_LARGE',
    message: /larger than the limit/,
  },
  {
    name: 'a gzip bomb over maxBytes once decompressed',
    input: gzipSync(Buffer.from(`a,b\n${'1,2\n'.repeat(5_000_000)}`)),
    options: { maxBytes: 1_000_000 },
    code: 'PAYLOAD_TOO_LARGE',
    message: /after decompression/,
  },
  // -- values
  {
    name: 'stray text after 5,000 distinct numbers',
    input: `v,w\n${rows(5000, (i) => `${i * 1.5},a`)}oops,a\n`,
    code: 'STRAY_TEXT',
    line: 5002,
    column: 'v',
    message: /held only numbers.*"oops".*missing.*types: \{"v": 'categorical'\}/,
  },
  // (a few stray words in a column of numbers or dates are read as categorical since issue 30:
  // test/unit/data/ingest-types.test.ts)
  {
    name: 'text in a column forced numeric',
    input: 'a,b\n1,x\n2,y\n',
    options: { types: { b: 'numeric' } },
    code: 'STRAY_TEXT',
    line: 2,
    column: 'b',
    message: /forced to numeric/,
  },
  {
    name: 'a third value in a column forced boolean',
    input: 'a,b\n1,yes\n2,no\n3,maybe\n',
    options: { types: { b: 'boolean' } },
    code: 'STRAY_TEXT',
    line: 4,
    column: 'b',
    message: /forced to boolean/,
  },
  {
    name: 'non-dates in a column forced datetime',
    input: 'a,b\n1,2020-01-01\n2,tomorrow\n',
    options: { types: { b: 'datetime' } },
    code: 'STRAY_TEXT',
    line: 3,
    column: 'b',
  },
  {
    name: 'issue 30: text in two forced columns, both named in one error',
    input: 'a,b,c\n1,yes,5\n2,maybe,V57\n3,no,E812\n',
    options: { types: { b: 'boolean', c: 'numeric' } },
    code: 'STRAY_TEXT',
    line: 3,
    column: 'b',
    message:
      /^2 columns .*line 3: column 'b' \(#2\) is forced to boolean.*"maybe".*line 3: column 'c' \(#3\) is forced to numeric, but 2 values are not numbers \("V57", "E812"\)/,
  },
  // -- options naming columns or values that do not exist
  {
    name: 'ignore naming an unknown column',
    input: 'Date,RISK_MM,y\n2020-01-01,1,2\n',
    options: { ignore: ['risk_mm'] },
    code: 'UNKNOWN_COLUMN',
    message: /did you mean 'RISK_MM'/,
  },
  { name: 'types naming an unknown column', input: 'a,b\n1,2\n', options: { types: { c: 'numeric' } }, code: 'UNKNOWN_COLUMN', message: /'c'/ },
  {
    name: 'an unknown type',
    input: 'a,b\n1,2\n',
    options: { types: { a: 'float' as never } },
    code: 'BAD_REQUEST',
    message: /'numeric', 'categorical', 'boolean' or 'datetime'/,
  },
  { name: 'a bad delimiter option', input: 'a,b\n1,2\n', options: { delimiter: 'ab' }, code: 'BAD_REQUEST', message: /delimiter/ },
  { name: 'a delimiter equal to the quote', input: 'a,b\n1,2\n', options: { delimiter: '"' }, code: 'BAD_REQUEST', message: /differ/ },
  { name: 'a line break as delimiter', input: 'a,b\n1,2\n', options: { delimiter: '\n' }, code: 'BAD_REQUEST' },
  { name: 'a negative maxBytes', input: 'a,b\n1,2\n', options: { maxBytes: -1 }, code: 'BAD_REQUEST', message: /maxBytes/ },
  // -- targets
  { name: 'an unknown target', input: 'a,b\n1,2\n3,4\n', options: { target: 'y' }, code: 'UNKNOWN_COLUMN' },
  { name: 'a target that is all missing', input: 'a,y\n1,NA\n2,\n3,?\n', options: { target: 'y' }, code: 'TARGET_ALL_MISSING' },
  { name: 'a target with one class only', input: 'a,y\n1,ok\n2,ok\n3,NA\n', options: { target: 'y' }, code: 'TARGET_ONE_CLASS', message: /'ok'/ },
  { name: 'regression on a text target', input: 'a,y\n1,cat\n2,dog\n', options: { target: 'y', task: 'regression' }, code: 'TARGET_NOT_NUMERIC' },
  { name: 'a target that is also ignored', input: 'a,y\n1,2\n2,3\n', options: { target: 'y', ignore: ['y'] }, code: 'BAD_REQUEST' },
  {
    name: 'classification with 2,000 classes',
    input: `a,y\n${rows(2000, (i) => `${i},${i * 0.5}`)}`,
    options: { target: 'y', task: 'classification' },
    code: 'BAD_REQUEST',
    message: /2000 distinct values/,
  },
  // -- sources
  {
    name: 'a source yielding strings',
    input: () =>
      (async function* () {
        yield 'a,b\n' as unknown as Uint8Array;
      })(),
    code: 'BAD_REQUEST',
    message: /text, not bytes/,
  },
];
