import type { MooringConfig } from '../config/schema.js';
import type { WorkerCounts } from '../control-plane/cluster-counts.js';
import type { Backend } from '../core/backend.js';
import type { ConnectionRecord } from '../core/session-record.js';
import type { MessageRuleSpec } from '../protocol/message-rules.js';
import type { MetricsSnapshot } from '../proxy/data-plane-metrics.js';
import type { TlsMaterial } from '../proxy/tls/tls-material.js';
import type { TunnelParcel } from '../proxy/websocket/tunnel-parcel.js';

/**
 * Messages the primary sends its workers over the cluster IPC channel. Workers never talk to
 * the shared state themselves: they route from the last snapshot the primary sent, so no
 * request or handshake ever waits on Redis.
 */
export type PrimaryToWorker =
  /** The first message a worker gets: its validated configuration (never through the environment). */
  | { readonly type: 'init'; readonly config: Readonly<MooringConfig> }
  /**
   * Stop accepting; close what is left at the deadline. On SIGHUP (a retiring worker) nothing
   * paces its closes: sessions may run to the deadline, and `handOverTo` names the successor that
   * takes the movable ones first (README: "Worker replacement").
   */
  | { readonly type: 'shutdown'; readonly deadlineMs: number; readonly closeCode: number; readonly handOverTo?: number }
  /** One socket of a tunnel the retiring worker `from` hands over; the message carries its handle. */
  | (HandoverSocket & { readonly type: 'adopt-socket'; readonly from: number })
  /** The successor's answer to a handover, relayed to the retiring worker. */
  | { readonly type: 'handover-result'; readonly id: string; readonly adopted: boolean }
  /** TLS certificates and CAs, read and checked by the primary (before `backends` in a new worker's state). */
  | { readonly type: 'tls'; readonly material: TlsMaterial }
  /** The message rules file, read and checked by the primary (before `backends`, so before listening). */
  | { readonly type: 'rules'; readonly rules: readonly MessageRuleSpec[] }
  /** The full membership: static backends merged with the registry. */
  | { readonly type: 'backends'; readonly backends: readonly Backend[] }
  /** Cluster-wide live sessions per backend, and each worker's own as the primary knew them. */
  | ({ readonly type: 'counts' } & WorkerCounts)
  /** Backends the shared active health check holds down. */
  | { readonly type: 'health'; readonly unhealthy: readonly string[] }
  /** The primary scrapes: answer with a `metrics` message carrying the same id. */
  | { readonly type: 'metrics-request'; readonly id: number }
  /** Whether a rebalance holds the node: a cookie naming a backend above its share gets a fresh choice. */
  | { readonly type: 'rebalancing'; readonly holding: boolean }
  /** Close one WebSocket gently (drain deadline, shutdown, rebalance), with this close code. */
  | {
      readonly type: 'close-session';
      readonly id: string;
      readonly code: number;
      readonly reason: 'drain' | 'shutdown' | 'rebalance';
    };

/** One socket of a tunnel on its way to the successor (the client's first, carrying the parcel). */
export interface HandoverSocket {
  readonly id: string;
  readonly side: 'client' | 'backend';
  readonly parcel?: TunnelParcel;
  /** Epoch ms after which the successor must refuse the tunnel: the old worker then takes it back. */
  readonly deadline: number;
}

/** Messages workers send the primary; fire-and-forget, never awaited on the request path. */
export type WorkerToPrimary =
  /** The worker listens for messages: it is ready for its `init`. */
  | { readonly type: 'ready-for-init' }
  /** The worker is ready for its state snapshot; it listens only once the snapshot has arrived. */
  | { readonly type: 'ready-for-state' }
  /** Sessions opened and closed since the last report, batched: one IPC message per ~20 ms, not two per session. */
  | { readonly type: 'sessions'; readonly opened: readonly ConnectionRecord[]; readonly closed: readonly string[] }
  /** This worker's data-plane metrics, for the scrape `id`. */
  | { readonly type: 'metrics'; readonly id: number; readonly snapshot: MetricsSnapshot }
  /** A backend refused, reset or timed out a connection (passive health). */
  | { readonly type: 'backend-failed'; readonly backend: string }
  /** A retiring worker hands a tunnel's socket to worker `to`; the message carries its handle. */
  | (HandoverSocket & { readonly type: 'handover-socket'; readonly to: number })
  /**
   * A close the primary asked for reached a tunnel while it moved to worker `to`, which holds it
   * now: the primary asks `to` instead.
   */
  | {
      readonly type: 'close-moved';
      readonly to: number;
      readonly id: string;
      readonly code: number;
      readonly reason: 'drain' | 'shutdown' | 'rebalance';
    }
  /** The successor took (or refused) the tunnel the retiring worker `from` handed over. */
  | { readonly type: 'handover-result'; readonly from: number; readonly id: string; readonly adopted: boolean };
