// After tsc: make the CLI entry executable so the `bin` link works when the package is installed.
import { chmodSync, existsSync } from 'node:fs';

const bin = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(bin)) {
  console.error('finish-build: dist/src/cli/main.js is missing; did tsc fail?');
  process.exit(1);
}
chmodSync(bin, 0o755);
