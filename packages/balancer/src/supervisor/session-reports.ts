import { sessionReportDelayMs } from '../core/timings.js';
import type { SessionObserver } from '../proxy/proxy-server.js';
import type { ConnectionRecord } from '../core/session-record.js';
import type { WorkerToPrimary } from './ipc-messages.js';

/**
 * A worker's reports of its WebSocket sessions to the primary, batched: under a handshake storm
 * one IPC message carries many sessions instead of two messages per session. A session opened
 * and closed within one batch is reported as both, in that order, so the table stays exact.
 */
export function batchedSessionReports(
  node: string,
  worker: number,
  tell: (message: WorkerToPrimary) => void,
): SessionObserver & { flush(): void } {
  let opened: ConnectionRecord[] = [];
  let closed: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    tell({ type: 'sessions', opened, closed });
    opened = [];
    closed = [];
  };
  const schedule = (): void => {
    timer ??= setTimeout(flush, sessionReportDelayMs);
  };
  return {
    /** Sends what is gathered now: before a handover, so that the primary knows every session it moves. */
    flush() {
      if (timer === undefined) return;
      clearTimeout(timer);
      flush();
    },
    opened(session) {
      opened.push({
        id: session.id,
        node,
        worker,
        backend: session.backend!.id,
        client: session.clientAddress,
        route: session.route ?? 'balance',
        startedAt: session.startedAt,
      });
      schedule();
    },
    closed(session) {
      closed.push(session.id);
      schedule();
    },
  };
}
