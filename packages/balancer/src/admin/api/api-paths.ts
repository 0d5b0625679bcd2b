import type { ApiEndpoint } from './api-endpoint.js';
import { backendEndpoint, drainEndpoint, undrainEndpoint } from './backend-endpoints.js';
import { backendsEndpoint } from './backends-endpoint.js';
import { connectionsEndpoint } from './connections-endpoint.js';
import { statusEndpoint } from './status-endpoint.js';

/** Every path of the API lives under this prefix; a later version gets a prefix of its own. */
export const apiPrefix = '/api/v1/';

/** A path of the API, and the backend id it names (`backends/ID/…`). */
export interface ApiPathMatch {
  readonly endpoint: ApiEndpoint;
  readonly id: string | undefined;
}

const fixed: Readonly<Record<string, ApiEndpoint>> = {
  status: statusEndpoint,
  backends: backendsEndpoint,
  connections: connectionsEndpoint,
};
const perBackend: Readonly<Record<string, ApiEndpoint>> = { drain: drainEndpoint, undrain: undrainEndpoint };

/**
 * The endpoint of a request path, or undefined for a path the API does not have (the admin
 * listener's other routes, such as the dashboard's event stream under the same prefix, may).
 */
export function matchApiPath(pathname: string): ApiPathMatch | undefined {
  if (!pathname.startsWith(apiPrefix)) return undefined;
  const [resource, rawId, action, ...rest] = pathname.slice(apiPrefix.length).split('/');
  if (resource === undefined || rest.length > 0) return undefined;
  if (rawId === undefined)
    return Object.hasOwn(fixed, resource) ? { endpoint: fixed[resource]!, id: undefined } : undefined;
  if (resource !== 'backends' || rawId === '') return undefined;
  const id = decoded(rawId);
  if (action === undefined) return { endpoint: backendEndpoint, id };
  return Object.hasOwn(perBackend, action) ? { endpoint: perBackend[action]!, id } : undefined;
}

/** A path segment decoded; one that cannot be is kept as sent, and refused as an id by the operation. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
