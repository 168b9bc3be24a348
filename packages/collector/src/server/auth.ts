import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type Authorizer = (req: IncomingMessage) => boolean;

// Hashing first gives equal-length buffers, so timingSafeEqual can compare secrets of any length.
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Checks `Authorization: Bearer <secret token>` or `ApiKey <key>` in constant time.
 * With neither a token nor keys configured, everything is allowed, as in APM Server.
 */
export function createAuthorizer(secretToken: string | undefined, apiKeys: readonly string[]): Authorizer | null {
  if (secretToken === undefined && apiKeys.length === 0) return null;
  const tokenDigest = secretToken === undefined ? null : digest(secretToken);
  const keyDigests = apiKeys.map(digest);
  return (req) => {
    const header = req.headers.authorization;
    if (typeof header !== 'string') return false;
    const space = header.indexOf(' ');
    if (space === -1) return false;
    const scheme = header.slice(0, space).toLowerCase();
    const credential = digest(header.slice(space + 1).trim());
    if (scheme === 'bearer') return tokenDigest !== null && timingSafeEqual(tokenDigest, credential);
    if (scheme === 'apikey') {
      let matched = false;
      // Every key is compared, so the time taken does not tell which one came close.
      for (const key of keyDigests) matched = timingSafeEqual(key, credential) || matched;
      return matched;
    }
    return false;
  };
}
