// ESM and CommonJS builds (esbuild, file by file), the browser <script> bundle, and the
// type declarations (tsc). `npm run build`.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const sources = readdirSync('src')
  .filter((name) => name.endsWith('.ts') && name !== 'browser-global.ts')
  .map((name) => join('src', name));

rmSync('dist', { recursive: true, force: true });
await build({ entryPoints: sources, outdir: 'dist/esm', format: 'esm', platform: 'neutral', target: 'es2022' });
await build({ entryPoints: sources, outdir: 'dist/cjs', format: 'cjs', platform: 'node', target: 'es2022' });
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
await build({
  entryPoints: ['src/browser-global.ts'],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  outfile: 'dist/browser/loglens-exporter.global.js',
});
execFileSync(join('node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json', '--emitDeclarationOnly'], {
  stdio: 'inherit',
});
