import { connect, type Socket } from 'node:net';

/** A raw TCP connection to `url`'s host and port, for requests `fetch` cannot send. */
export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

export interface SocketEnd {
  /** Everything the server sent. */
  received: string;
  /** Milliseconds from the call until the server closed the connection. */
  afterMs: number;
}

/** Resolves when the server closes `socket` (or rejects after `timeoutMs`) with what it sent. */
export function untilClosed(socket: Socket, timeoutMs: number): Promise<SocketEnd> {
  const started = performance.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`still open after ${timeoutMs} ms; received ${JSON.stringify(received.slice(0, 200))}`),
      );
    }, timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ received, afterMs: performance.now() - started });
    });
  });
}

/** Resolves with the first `\r\n\r\n`-terminated head the server sends on `socket`, and what followed. */
export function nextResponseHead(socket: Socket, timeoutMs: number): Promise<string> {
  let received = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no response within ${timeoutMs} ms; received ${JSON.stringify(received)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(received);
      }
    };
    socket.on('data', onData);
  });
}
