import type { FrameBoundaryTracker } from '../../protocol/frame-tracker.js';
import type { TrackedTunnel } from './gentle-close.js';

/**
 * Writes a frame of Mooring's own (a ping) to the client between two frames of what the backend
 * sends it. A relayed direction places it itself; a piped one is watched until its tracker is at
 * a boundary after a chunk (the pipe has written that chunk by then, its listener runs first).
 * Nothing is written once a gentle close owns the direction or the stream lost its boundaries.
 */
export function injectToClient(tunnel: TrackedTunnel, frame: Buffer): void {
  if (tunnel.backendRelay) return tunnel.backendRelay.inject(frame);
  const tracker = tunnel.fromBackend as FrameBoundaryTracker;
  const { backend, client } = tunnel;
  const unusable = (): boolean => tracker.claimed || tracker.broken || !client.writable;
  if (unusable()) return;
  if (tracker.atBoundary) {
    client.write(frame);
    return;
  }
  const afterChunk = (): void => {
    if (unusable()) return void backend.off('data', afterChunk);
    if (!tracker.atBoundary) return;
    backend.off('data', afterChunk);
    client.write(frame);
  };
  backend.on('data', afterChunk);
}
