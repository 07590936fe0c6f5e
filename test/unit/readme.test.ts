/** README's configuration table and npm commands stay in step with the code. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { VARIABLES } from '../../lib/config';

const ROOT = path.resolve(__dirname, '..', '..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

describe('README', () => {
  it('documents every environment variable the code reads, and no other', () => {
    const table = readme.slice(readme.indexOf('<!-- config-table'));
    const documented = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(VARIABLES.map((v) => v.env).sort());
  });

  it('names only npm scripts that exist', () => {
    const scripts = [...readme.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]);
    for (const s of new Set(scripts)) if (!s.endsWith(':')) expect(Object.keys(pkg.scripts)).toContain(s);
  });
});
