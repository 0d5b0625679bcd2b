import { checkConnectionLimit, connectionLimits, readConnectionRows } from '../../operator/connection-rows.js';
import { json } from '../json-response.js';
import type { ApiEndpoint } from './api-endpoint.js';
import { answerRead } from './answer-read.js';

/**
 * `GET /api/v1/connections[?backend=ID][&limit=N]`: the cluster's live sessions, oldest first
 * (as `mooring connections --json`), at most `limit` (1 to 10000, default 100); `total` counts
 * them all.
 */
export const connectionsEndpoint: ApiEndpoint = {
  GET: (request) =>
    answerRead(request, async () => {
      const { searchParams } = request.url;
      const backend = searchParams.get('backend') ?? undefined;
      const given = searchParams.get('limit');
      const limit = given === null ? connectionLimits.default : checkConnectionLimit(given);
      const query = backend === undefined ? { limit } : { backend, limit };
      const { connections, total } = await readConnectionRows(request.ctx.store, query, request.ctx.now());
      json(request.res, 200, { connections, total, limit });
    }),
};
