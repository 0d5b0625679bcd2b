import type { AdminRoute } from '../admin-route.js';

/** The live dashboard: its page at `/`, its assets, and its event stream. */
export const dashboardRoutes: AdminRoute = () => false;
