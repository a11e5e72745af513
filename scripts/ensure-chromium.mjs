// `npm test` runs this first (pretest): the browser tests drive Debian's Chromium and never
// download one. If it is missing it is installed when we are root on Debian; otherwise we stop
// with a one-line instruction rather than letting the browser test fail obscurely later.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CHROMIUM = '/usr/bin/chromium';
if (existsSync(CHROMIUM)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (isRoot && hasApt) {
  console.error('pretest: /usr/bin/chromium is missing; installing the Debian package "chromium"');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'chromium']]) {
    const run = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (run.status !== 0) {
      console.error(`pretest: "apt-get ${args.join(' ')}" failed; install Chromium with: apt-get update && apt-get install -y chromium`);
      process.exit(1);
    }
  }
  if (existsSync(CHROMIUM)) process.exit(0);
}
console.error('pretest: the browser tests need Debian Chromium at /usr/bin/chromium; install it with: sudo apt-get update && sudo apt-get install -y chromium');
process.exit(1);
