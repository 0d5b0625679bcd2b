import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import { describeStateStore } from './describe-state-store.js';

describeStateStore('MemoryStateStore', async () => {
  let clock = 1_700_000_000_000;
  const now = (): number => clock;
  const store = new MemoryStateStore({ now });
  const stores = [store];
  return {
    store,
    async peer() {
      const peer = new MemoryStateStore({ now, shareWith: store });
      stores.push(peer);
      return peer;
    },
    advance(ms) {
      clock += ms;
    },
    async wipe() {
      store.clear();
    },
    async cleanup() {
      await Promise.all(stores.map((each) => each.close()));
    },
  };
});
