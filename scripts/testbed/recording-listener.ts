import net from 'node:net';

/**
 * A plain TCP server on 127.0.0.1 that records every byte it receives and answers nothing
 * (or what `reply` says). Tests point a hostile secret at it to prove what a function would
 * send to a server the secret's author controls: before a fix it receives the credential,
 * after it receives nothing at all.
 */
export interface RecordingListener {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Everything received, all connections concatenated in arrival order. */
  received(): Buffer;
  /** Whether `text` (UTF-8) appears in what was received. */
  saw(text: string): boolean;
  close(): Promise<void>;
}

export interface RecordingListenerOptions {
  /** Called for every chunk; a returned buffer is written back on that connection. */
  readonly reply?: (chunk: Buffer) => Buffer | string | undefined;
}

export async function startRecordingListener(
  options: RecordingListenerOptions = {},
): Promise<RecordingListener> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const answer = options.reply?.(chunk);
      if (answer !== undefined) socket.write(answer);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    connections: () => accepted,
    received: () => Buffer.concat(chunks),
    saw: (text) => Buffer.concat(chunks).includes(Buffer.from(text, 'utf8')),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
