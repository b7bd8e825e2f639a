/** Base-URL handling: accepts http://host:8000, http://host:8000/v1, https://host/prefix/v1/. */
import { AgentdynoError, displayUrl } from '../core/index.js';

export interface EndpointTarget {
  /** scheme://host:port, no credentials, no path. */
  origin: string;
  /** Path prefix before /v1 ('' for most servers). */
  root: string;
}

export function resolveBaseUrl(baseUrl: string): EndpointTarget {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new AgentdynoError(`endpoint base URL "${displayUrl(baseUrl)}" is not a URL`, { code: 'E_USAGE', where: 'endpoint.baseUrl',
      hint: 'Give a full URL such as http://127.0.0.1:8000 or http://127.0.0.1:8000/v1.',
    });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new AgentdynoError(`endpoint base URL "${u.origin}" must use http or https`, { code: 'E_USAGE', where: 'endpoint.baseUrl',
      hint: 'Use http://HOST:PORT or https://HOST.',
    });
  }
  let path = u.pathname.replace(/\/+$/, '');
  if (path.endsWith('/v1')) path = path.slice(0, -3);
  return { origin: u.origin, root: path };
}
