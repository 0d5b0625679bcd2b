/** The reference: clients talk to the echo backend itself, no proxy in between. */
export const directTarget = {
  name: 'direct',
  label: 'direct',
  proxy: false,
  async available() {
    return { ok: true };
  },
  async start({ backend }) {
    return { url: backend.url, pids: () => [], stop: async () => {} };
  },
  version: () => 'echo backend (node http + ws)',
};
