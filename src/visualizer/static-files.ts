/**
 * Finds and reads the visualizer page's static files (`visualizer/` at the package root), both when
 * running from source (`src/visualizer/`) and from the build (`dist/src/visualizer/`).
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files the page consists of, by URL path, with their content types. */
export const STATIC_FILES: Readonly<Record<string, { readonly file: string; readonly type: string }>> = Object.freeze({
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
  // Browsers ask for /favicon.ico whatever the page says; the SVG answers it (no 404 in the console).
  '/favicon.ico': { file: 'favicon.svg', type: 'image/svg+xml' },
});

/** The `visualizer/` directory of this package: the nearest ancestor directory that has one. */
export function findVisualizerDirectory(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const candidate = join(dir, 'visualizer');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`relay-gateway: the visualizer page (visualizer/index.html) was not found above ${from}`);
    dir = parent;
  }
}

/** Read every static file once (they are small); served from memory afterwards. */
export function loadStaticFiles(directory: string = findVisualizerDirectory()): Map<string, { readonly body: Buffer; readonly type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const [path, { file, type }] of Object.entries(STATIC_FILES)) files.set(path, { body: readFileSync(join(directory, file)), type });
  return files;
}
