// Bundles the widget and the operator console with esbuild: one self-contained file each.
import { build } from 'esbuild';

const common = { bundle: true, format: 'iife', target: ['es2020'], minify: true, sourcemap: true, logLevel: 'warning', legalComments: 'linked' };
await build({ ...common, entryPoints: ['src/widget.js'], outfile: 'static/dist/voice-agent-widget.js' });
await build({ ...common, entryPoints: ['src/console.js'], outfile: 'static/dist/operator-console.js' });
