// Bundles the diagram pages' and the task form's JavaScript and CSS from npm packages into
// webui/static/vendor (make assets).
import * as esbuild from 'esbuild';

const here = new URL('.', import.meta.url).pathname;
await esbuild.build({
  entryPoints: { 'gridsafe-modeler': `${here}modeler.js`, 'gridsafe-viewer': `${here}viewer.js`,
                 'gridsafe-taskform': `${here}taskform.js`, 'gridsafe-sync': `${here}sync.js`,
                 'gridsafe-sw': `${here}sw.js`, 'gridsafe-formeditor': `${here}formeditor.js` },
  outdir: `${here}../vendor`,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  assetNames: 'assets/[name]-[hash]',
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"' },      // Workbox without its development logging
  logLevel: 'warning',
});
