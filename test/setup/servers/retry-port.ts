import { freePort } from './process.js';

/**
 * Runs `start(port)` with a fresh free port, once more if the first port was taken in between
 * (another process may grab a port between our probe and the server's bind).
 */
export async function withFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(await freePort());
  } catch (error) {
    if (!/address already in use|bind/i.test(String((error as Error).message))) throw error;
    return start(await freePort());
  }
}
