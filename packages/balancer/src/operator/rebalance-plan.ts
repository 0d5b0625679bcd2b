/** One backend as a rebalance weighs it: routable (active, healthy), with its cluster-wide live count. */
export interface RebalanceInput {
  readonly id: string;
  readonly weight: number;
  readonly live: number;
}

/** Where one backend stands against its weighted share, and how many of its sessions to move. */
export interface BackendBalance {
  readonly id: string;
  readonly weight: number;
  readonly live: number;
  /** Its weighted share of the live sessions of every routable backend (fractional). */
  readonly share: number;
  /** The fewest and most live sessions within the tolerance, in whole sessions. */
  readonly low: number;
  readonly high: number;
  /** Sessions to close on it so that every backend ends within its bounds. */
  readonly move: number;
}

/** A plan: each backend's balance, whether all are within bounds, and the total to move. */
export interface RebalancePlan {
  readonly backends: readonly BackendBalance[];
  readonly balanced: boolean;
  readonly moves: number;
}

/** Guards floor/ceil against the binary error of `15 * 1.1` and the like. */
const epsilon = 1e-9;

/**
 * Plans the fewest closes that bring every backend within `tolerance` (a fraction: 0.1 for 10 %)
 * of its weighted share, assuming each closed session reconnects to an under-loaded backend (the
 * balancer's least-connections choice). The bounds are whole sessions, widened to the nearest
 * whole numbers around the share when the tolerance is narrower than one session, so that a
 * balanced outcome always exists. First every backend above its upper bound gives up the excess;
 * then, if the backends below their lower bound lack more than that, one session at a time is
 * taken from the backend most loaded per unit of weight that is still above its share. Pure.
 */
export function planRebalance(inputs: readonly RebalanceInput[], tolerance: number): RebalancePlan {
  const weights = inputs.reduce((sum, backend) => sum + Math.max(0, backend.weight), 0);
  const total = inputs.reduce((sum, backend) => sum + backend.live, 0);
  const bounds = inputs.map((backend) => {
    const share = weights > 0 ? (total * Math.max(0, backend.weight)) / weights : 0;
    const high = Math.max(Math.floor(share * (1 + tolerance) + epsilon), Math.ceil(share - epsilon));
    const low = Math.min(Math.ceil(share * (1 - tolerance) - epsilon), Math.floor(share + epsilon));
    return { ...backend, share, low, high, move: Math.max(0, backend.live - high) };
  });
  const lacking = bounds.reduce((sum, backend) => sum + Math.max(0, backend.low - backend.live), 0);
  const balanced = bounds.every((backend) => backend.live >= backend.low && backend.live <= backend.high);
  let moves = bounds.reduce((sum, backend) => sum + backend.move, 0);
  while (moves < lacking) {
    const donor = mostLoadedAboveShare(bounds);
    if (!donor) break;
    donor.move++;
    moves++;
  }
  return { backends: bounds, balanced, moves: balanced ? 0 : moves };
}

function mostLoadedAboveShare(bounds: Array<BackendBalance & { move: number }>): (typeof bounds)[number] | undefined {
  let best: (typeof bounds)[number] | undefined;
  let bestLoad = -Infinity;
  for (const backend of bounds) {
    const left = backend.live - backend.move;
    if (backend.weight <= 0 || left - 1 < backend.low || left <= backend.share + epsilon) continue;
    const load = left / backend.weight;
    if (load > bestLoad) [best, bestLoad] = [backend, load];
  }
  return best;
}
