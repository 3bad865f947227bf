// node:worker_threads as the WebGPU device thread uses it (../device-worker.mjs), for a browser
// module worker: the playground's build bundles the device thread with this module in its place.
// workerData arrives as the worker's first message (./caller-threads.ts posts it); a port in it
// delivers the caller's requests as Node's does ('message' listeners) and posts its own messages
// to the channel's mailbox, which the caller reads synchronously while it blocks.
import type { PortInTransit } from './caller-threads.ts';
import { postToMailbox } from './mailbox.ts';

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void };

class DevicePort {
  constructor(private readonly transit: PortInTransit) {}
  on(event: 'message', listener: (message: unknown) => void): void {
    if (event === 'message') this.transit.port.onmessage = (e) => listener(e.data);
  }
  postMessage(message: unknown): void {
    postToMailbox(this.transit.mailbox, message);
  }
}

const first: Record<string, unknown> = await new Promise((resolve) => {
  scope.onmessage = (e) => {
    scope.onmessage = null;
    resolve(e.data as Record<string, unknown>);
  };
});

export const workerData = Object.fromEntries(
  Object.entries(first).map(([k, v]) => [
    k,
    (v as PortInTransit | null)?.kind === 'rulebench-port' ? new DevicePort(v as PortInTransit) : v,
  ]),
);
export const parentPort = { postMessage: (m: unknown) => scope.postMessage(m) };
