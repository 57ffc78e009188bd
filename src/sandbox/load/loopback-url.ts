import { isIPv4 } from 'node:net';
import { RipcordError } from '../../core/errors.js';

/** True for 127.0.0.0/8, `localhost` and ::1: the only hosts sandbox load may ever be aimed at. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host === '::1') return true;
  return isIPv4(host) && host.startsWith('127.');
}

/**
 * Parses the target of a load run and refuses anything off this machine, so a drill can never load a real
 * service by a mistyped URL. The URL parser normalises forms like `127.1` or `0x7f.0.0.1` first.
 */
export function loopbackUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new RipcordError('invalid', `load: "${raw}" is not a URL`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RipcordError('invalid', `load: "${raw}" is not an http(s) URL`);
  }
  if (!isLoopbackHost(url.hostname)) {
    throw new RipcordError(
      'refused',
      `load: refusing to send load to ${url.host}: only loopback hosts (127.0.0.0/8, localhost, ::1) are allowed`,
    );
  }
  return url;
}
