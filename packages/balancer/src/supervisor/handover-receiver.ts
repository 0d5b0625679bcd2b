import type { Logger } from 'pino';
import type { ProxyServer } from '../proxy/proxy-server.js';
import { isStreamHandle, type StreamHandle } from '../proxy/websocket/socket-handle.js';
import { parseTunnelParcel, type TunnelParcel } from '../proxy/websocket/tunnel-parcel.js';
import type { PrimaryToWorker, WorkerToPrimary } from './ipc-messages.js';

type AdoptSocket = Extract<PrimaryToWorker, { type: 'adopt-socket' }>;

/** A tunnel whose sockets are on their way: the client's (with the parcel) comes first. */
interface Arriving {
  readonly from: number;
  readonly parcel: TunnelParcel;
  readonly client: StreamHandle;
  readonly timer: NodeJS.Timeout;
}

/**
 * The successor's side of a worker replacement: gathers the two handles of each tunnel a retiring
 * worker hands over, and adopts the tunnel (see ProxyServer#adoptTunnel) or refuses it. Either
 * way the retiring worker hears the answer through the primary; on a refusal this worker closes
 * its copies of the file descriptors (which ends nothing: the retiring worker still holds them)
 * and the tunnel goes on there. Past the sender's deadline a tunnel is always refused: by then the
 * sender may have taken it back.
 */
export class HandoverReceiver {
  readonly #proxy: ProxyServer;
  readonly #tell: (message: WorkerToPrimary) => void;
  readonly #log: Logger;
  readonly #arriving = new Map<string, Arriving>();
  /** Whether this worker takes tunnels: not once it is stopping itself. */
  #open = true;

  constructor(proxy: ProxyServer, tell: (message: WorkerToPrimary) => void, log: Logger) {
    this.#proxy = proxy;
    this.#tell = tell;
    this.#log = log;
  }

  /** Refuses every tunnel from now on (this worker is stopping), and those half arrived. */
  close(): void {
    this.#open = false;
    for (const [id, arriving] of this.#arriving)
      this.#refuse(id, arriving.from, 'the successor is stopping', arriving.client);
  }

  received(message: AdoptSocket, handle: unknown): void {
    const { id, from } = message;
    if (!isStreamHandle(handle)) return this.#refuse(id, from, 'the message carried no socket');
    if (!this.#open || Date.now() >= message.deadline)
      return this.#refuse(id, from, this.#open ? 'it arrived past its deadline' : 'the successor is stopping', handle);
    if (message.side === 'client') return this.#clientArrived(message, handle);
    const arriving = this.#arriving.get(id);
    if (!arriving) return this.#refuse(id, from, 'its backend socket came without its client socket', handle);
    this.#arriving.delete(id);
    clearTimeout(arriving.timer);
    this.#adopt(arriving, handle);
  }

  #clientArrived(message: AdoptSocket, client: StreamHandle): void {
    const { id, from } = message;
    let parcel: TunnelParcel;
    try {
      parcel = parseTunnelParcel(message.parcel);
    } catch (err) {
      return this.#refuse(id, from, (err as Error).message, client);
    }
    if (this.#arriving.has(id)) return this.#refuse(id, from, 'it was sent twice', client);
    const timer = setTimeout(
      () => {
        this.#arriving.delete(id);
        this.#refuse(id, from, 'its backend socket did not come in time', client);
      },
      Math.max(0, message.deadline - Date.now()),
    );
    this.#arriving.set(id, { from, parcel, client, timer });
  }

  #adopt({ from, parcel, client }: Arriving, backend: StreamHandle): void {
    try {
      this.#proxy.adoptTunnel(parcel, client, backend);
    } catch (err) {
      return this.#refuse(parcel.id, from, (err as Error).message, client, backend);
    }
    this.#tell({ type: 'handover-result', from, id: parcel.id, adopted: true });
  }

  /** Says no to the retiring worker and closes this process's copies of the descriptors. */
  #refuse(id: string, from: number, why: string, ...handles: StreamHandle[]): void {
    const arriving = this.#arriving.get(id);
    if (arriving) {
      clearTimeout(arriving.timer);
      this.#arriving.delete(id);
      if (!handles.includes(arriving.client)) handles.push(arriving.client);
    }
    for (const handle of handles) handle.close();
    this.#log.warn({ session: id, from, reason: why }, 'refused a tunnel handed over, it stays with the old worker');
    this.#tell({ type: 'handover-result', from, id, adopted: false });
  }
}
