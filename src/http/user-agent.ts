/**
 * The `User-Agent` of every HTTP request the gateway makes to the relay (protocol-later §3.2). Some
 * CDNs and fronting proxies refuse the runtime's default agent, so requests name the library, its
 * version and the Node.js version instead.
 * @module
 */
import { packageVersion } from '../package-version.js';

let cached: string | undefined;

/**
 * The `User-Agent` value for relay HTTP requests: `relay-gateway/<version> (node/<process.version>)`,
 * e.g. `relay-gateway/0.1.0 (node/v20.20.2)`.
 *
 * The version comes from this package's own package.json, found the way `--version` finds it (one
 * shared reader, so the two can never disagree); the value is computed on the first call and reused,
 * since neither part can change while the process runs.
 */
export function relayUserAgent(): string {
  cached ??= `relay-gateway/${packageVersion()} (node/${process.version})`;
  return cached;
}
