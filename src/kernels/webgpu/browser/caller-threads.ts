// node:worker_threads as the WebGPU backend's calling side uses it (../index.ts), for a browser
// worker: the playground's build puts this module in its place, so the one backend runs in Node
// and in a browser alike. Worker is a module Web Worker (../device-worker.mjs bundled with
// ./device-threads.ts), handed its workerData in its first message; a MessageChannel's ports are
// the browser's, with a mailbox (./mailbox.ts) for the messages the caller reads synchronously
// (receiveMessageOnPort) while it blocks. Nothing here keeps a page alive, so unref does nothing.
// Typed without the DOM's types (src/ is checked for Node), by the little of them used here.
import { createMailbox, readMailbox } from './mailbox.ts';

/** The little of a browser's MessagePort used here. */
export interface BrowserPort {
  postMessage(message: unknown, transfer?: unknown[]): void;
  onmessage: ((e: { data: unknown }) => void) | null;
}
interface BrowserWorker {
  postMessage(message: unknown, transfer?: unknown[]): void;
  addEventListener(
    type: 'message' | 'error',
    listener: (e: { data?: unknown; message?: string }) => void,
    options: { once: boolean },
  ): void;
  terminate(): void;
}
const web = globalThis as unknown as {
  MessageChannel: new () => { port1: BrowserPort; port2: BrowserPort };
  Worker: new (url: URL, options: { type: 'module' }) => BrowserWorker;
};

/** A port as it travels in workerData: the browser's port and the channel's mailbox. */
export interface PortInTransit {
  kind: 'rulebench-port';
  port: BrowserPort;
  mailbox: SharedArrayBuffer;
}

export class Port {
  constructor(
    readonly port: BrowserPort,
    readonly mailbox: SharedArrayBuffer,
  ) {}
  postMessage(message: unknown, transfer: unknown[] = []): void {
    this.port.postMessage(message, transfer);
  }
  unref(): void {}
}

export class MessageChannel {
  readonly port1: Port;
  readonly port2: Port;
  constructor() {
    const ch = new web.MessageChannel();
    const mailbox = createMailbox();
    this.port1 = new Port(ch.port1, mailbox);
    this.port2 = new Port(ch.port2, mailbox);
  }
}

/** The next message the other side posted to `port`'s channel, read without waiting for an event. */
export function receiveMessageOnPort(port: Port): { message: unknown } | undefined {
  return readMailbox(port.mailbox);
}

export class Worker {
  private readonly worker: BrowserWorker;
  constructor(
    private readonly url: URL,
    { workerData, transferList = [] }: { workerData: Record<string, unknown>; transferList?: unknown[] },
  ) {
    this.worker = new web.Worker(url, { type: 'module' });
    const data = Object.fromEntries(
      Object.entries(workerData).map(([k, v]) => [
        k,
        v instanceof Port ? ({ kind: 'rulebench-port', port: v.port, mailbox: v.mailbox } satisfies PortInTransit) : v,
      ]),
    );
    this.worker.postMessage(
      data,
      transferList.map((t) => (t instanceof Port ? t.port : t)),
    );
  }
  once(event: 'message' | 'error', listener: (value: never) => void): void {
    const call = listener as (value: unknown) => void;
    if (event === 'message') this.worker.addEventListener('message', (e) => call(e.data), { once: true });
    // A module that fails to load reports an ErrorEvent, with a message where the browser gives one.
    else this.worker.addEventListener('error', (e) => call(new Error(e.message || `${this.url.href} failed to load`)), { once: true });
  }
  unref(): void {}
  async terminate(): Promise<number> {
    this.worker.terminate();
    return 0;
  }
}
