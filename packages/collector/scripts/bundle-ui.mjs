#!/usr/bin/env node
// Bundles the web UI's modules (packages/collector/ui) into one file, ui-dist/app.js, with an
// index.html that loads only it: a cold open then fetches two files instead of nineteen in
// waves of the browser's six connections. Run by the install's build (after tsc, whose
// dist/ it reads); the collector serves the bundle only while ui/ is as it was bundled
// (ui-dist/source-version.txt), and the modules themselves otherwise, so no build step is
// needed to run or edit the UI.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_STAMP, bundledIndex, UI_DIST_ROOT, UI_ROOT, uiVersion } from '../dist/server/ui-version.js';

const source = await uiVersion(UI_ROOT);
rmSync(UI_DIST_ROOT, { recursive: true, force: true });
mkdirSync(UI_DIST_ROOT, { recursive: true });
await build({
  entryPoints: [join(UI_ROOT, 'app.js')],
  outfile: join(UI_DIST_ROOT, 'app.js'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
writeFileSync(join(UI_DIST_ROOT, 'index.html'), bundledIndex(readFileSync(join(UI_ROOT, 'index.html'), 'utf8')));
// Last: without the stamp (a build that failed half-way), the modules are served.
writeFileSync(join(UI_DIST_ROOT, BUNDLE_STAMP), `${source}\n`);
console.log(`bundled the UI into ${UI_DIST_ROOT}/app.js (from ui/ version ${source})`);
