import type { Server } from 'node:http';

/** Listens on 127.0.0.1:`port` and resolves once bound (rejects on EADDRINUSE and the like). */
export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}
