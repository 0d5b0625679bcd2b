import { checkDrainTerms } from '../../operator/drain-terms.js';
import { drainBackend, undrainBackend } from '../../operator/drain-backend.js';
import { invalidArgument } from '../../operator/operator-error.js';
import { removeBackend } from '../../operator/remove-backend.js';
import type { ApiEndpoint } from './api-endpoint.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The path's id: the router only builds these endpoints' requests with one. */
const idOf = (id: string | undefined): string => id ?? '';

/**
 * `POST /api/v1/backends/ID/drain` with `{ deadline?, closeRate?, closeCode? }` (defaults 5m,
 * 100/s, 1012; the deadline a duration such as `30s` or milliseconds): the same drain as
 * `mooring backend drain`. Answers `{ backend, drain: { startedAt, deadlineAt, closeRate, closeCode } }`.
 */
export const drainEndpoint: ApiEndpoint = {
  POST: {
    action: 'drain',
    body: 'optional',
    keys: ['deadline', 'closeRate', 'closeCode'],
    async run({ ctx, id }, body) {
      const terms = checkDrainTerms(body);
      const drain = await drainBackend(ctx.store, idOf(id), terms, ctx.now);
      const { startedAt, deadlineAt, closeRate, closeCode } = drain;
      return {
        status: 200,
        body: {
          backend: idOf(id),
          drain: { startedAt: iso(startedAt), deadlineAt: iso(deadlineAt), closeRate, closeCode },
        },
      };
    },
  },
};

/** `POST /api/v1/backends/ID/undrain` (no body, or `{}`): active again on every node. Answers `{ backend, state }`. */
export const undrainEndpoint: ApiEndpoint = {
  POST: {
    action: 'undrain',
    body: 'optional',
    keys: [],
    async run({ ctx, id }) {
      await undrainBackend(ctx.store, idOf(id));
      return { status: 200, body: { backend: idOf(id), state: 'active' } };
    },
  },
};

/**
 * `DELETE /api/v1/backends/ID[?force=true]`: refused (409) while the backend has live
 * connections unless forced, as `mooring backend remove`. Answers `{ backend, removed, liveLeft }`.
 */
export const backendEndpoint: ApiEndpoint = {
  DELETE: {
    action: 'remove',
    body: 'none',
    keys: [],
    hints: { MOORING_ERR_BACKEND_HAS_CONNECTIONS: ': drain it first, or remove it with ?force=true' },
    async run({ ctx, id, url }) {
      const { live } = await removeBackend(ctx.store, idOf(id), { force: forceOf(url) });
      return { status: 200, body: { backend: idOf(id), removed: true, liveLeft: live } };
    },
  },
};

function forceOf(url: URL): boolean {
  const force = url.searchParams.get('force');
  if (force === null || force === 'false') return false;
  if (force === 'true') return true;
  throw invalidArgument(`force: expected true or false, got ${JSON.stringify(force.slice(0, 64))}`);
}
