import { createServer } from 'node:net';

/** Asks the OS for a free TCP port on `host` (loopback by default); sandboxes may run side by side. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not read the address of a probe listener'));
        return;
      }
      const { port } = addr;
      srv.close(() => resolve(port));
    });
  });
}
