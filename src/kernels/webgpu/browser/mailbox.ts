// Messages from the device worker to the calling worker that the caller reads synchronously, as
// Node's receiveMessageOnPort reads them: the browser has no synchronous receive, and the caller
// reads them while it blocks in Atomics.wait, so they are JSON in a shared, append-only buffer.
// One writer (the device worker), one reader (the caller). They carry errors' texts only, which
// are rare; a full mailbox drops the message, and the caller then says its text was lost.

/** Bytes for messages (a message past what is left is dropped). */
const BYTES = 1 << 18;
/** Int32 words before the messages: [0] bytes written, [1] bytes read. */
const HEAD = 8;

export function createMailbox(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEAD + BYTES);
}

/** Append `message` (JSON); false when it does not fit. */
export function postToMailbox(box: SharedArrayBuffer, message: unknown): boolean {
  const head = new Int32Array(box, 0, 2);
  const text = new TextEncoder().encode(JSON.stringify(message));
  const at = Atomics.load(head, 0);
  if (at + 4 + text.length > BYTES) return false;
  new DataView(box).setUint32(HEAD + at, text.length, true);
  new Uint8Array(box, HEAD + at + 4, text.length).set(text);
  // Published after its bytes: the reader never sees a length before its text.
  Atomics.store(head, 0, at + 4 + text.length);
  return true;
}

/** The oldest message not read yet, or undefined. */
export function readMailbox(box: SharedArrayBuffer): { message: unknown } | undefined {
  const head = new Int32Array(box, 0, 2);
  const at = Atomics.load(head, 1);
  if (at >= Atomics.load(head, 0)) return undefined;
  const n = new DataView(box).getUint32(HEAD + at, true);
  // TextDecoder takes no view of shared memory: a private copy first.
  const text = new TextDecoder().decode(new Uint8Array(box, HEAD + at + 4, n).slice());
  Atomics.store(head, 1, at + 4 + n);
  return { message: JSON.parse(text) };
}
