// Per-address bounds on what stays open: connections (config max_connections_per_address) and
// event streams (max_event_streams_per_address), so that one address cannot take every slot of
// max_connections or of the event streams. O(1) per connection: one map entry per address.
import type { Socket } from 'node:net';

/** The address as one key: an IPv4 client on a dual-stack socket counts as its IPv4 address. */
export function addressKey(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Open things per address, each counted until it ends. */
export class PerAddress {
  private readonly open = new Map<string, number>();

  /** Counts one more for `address` if it has fewer than `limit`; false (nothing counted) if not. */
  take(address: string, limit: number): boolean {
    const n = this.open.get(address) ?? 0;
    if (n >= limit) return false;
    this.open.set(address, n + 1);
    return true;
  }

  release(address: string): void {
    const n = this.open.get(address) ?? 0;
    if (n <= 1) this.open.delete(address);
    else this.open.set(address, n - 1);
  }

  count(address: string): number {
    return this.open.get(address) ?? 0;
  }
}

/**
 * Closes a new connection at once when its address has `limit()` open already; counts it until
 * it closes otherwise. Returns whether the connection was kept.
 */
export function admitConnection(open: PerAddress, socket: Socket, limit: number): boolean {
  const address = addressKey(socket.remoteAddress);
  if (!open.take(address, limit)) {
    socket.destroy();
    return false;
  }
  socket.once('close', () => open.release(address));
  return true;
}
