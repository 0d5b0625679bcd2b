import type { AdminRoute } from '../admin-route.js';

/** The JSON admin API under `/api/v1/` (status, backends, connections, mutations). */
export const apiRoutes: AdminRoute = () => false;
