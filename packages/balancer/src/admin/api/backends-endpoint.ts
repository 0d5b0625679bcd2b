import { addBackend } from '../../operator/add-backend.js';
import { readBackendRows } from '../../operator/backend-rows.js';
import { json } from '../json-response.js';
import type { ApiEndpoint } from './api-endpoint.js';
import { answerRead } from './answer-read.js';

/**
 * `/api/v1/backends`. GET: the registry as `mooring backend list --json` prints it
 * (`{ backends, malformed }`). POST `{ id, url, weight? }`: registers a backend, or changes the
 * URL and weight of a registered one (a draining one stays draining): 201 or 200 with
 * `{ created, backend }`.
 */
export const backendsEndpoint: ApiEndpoint = {
  GET: (request) =>
    answerRead(request, async () => {
      const { rows, malformed } = await readBackendRows(request.ctx.store);
      json(request.res, 200, { backends: rows, malformed });
    }),
  POST: {
    action: 'add',
    body: 'required',
    keys: ['id', 'url', 'weight'],
    async run({ ctx }, body) {
      const { created, backend } = await addBackend(ctx.store, { id: body.id, url: body.url, weight: body.weight });
      return { status: created ? 201 : 200, body: { created, backend } };
    },
  },
};
