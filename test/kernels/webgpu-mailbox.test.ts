// The mailbox the browser's WebGPU device worker answers through (src/kernels/webgpu/browser):
// the caller reads its messages synchronously while it blocks, in the order they were posted,
// and a message that does not fit is refused rather than half written.
import { describe, expect, it } from 'vitest';
import { createMailbox, postToMailbox, readMailbox } from '../../src/kernels/webgpu/browser/mailbox.ts';

describe('the WebGPU device worker mailbox (browser)', () => {
  it('gives back each message once, in order, then nothing', () => {
    const box = createMailbox();
    expect(readMailbox(box)).toBeUndefined();
    expect(postToMailbox(box, { id: 3, error: 'shader matmul: bad' })).toBe(true);
    expect(postToMailbox(box, { id: 4, error: 'dispatch ünïcode' })).toBe(true);
    expect(readMailbox(box)).toEqual({ message: { id: 3, error: 'shader matmul: bad' } });
    expect(postToMailbox(box, { id: 5, error: 'late' })).toBe(true);
    expect(readMailbox(box)).toEqual({ message: { id: 4, error: 'dispatch ünïcode' } });
    expect(readMailbox(box)).toEqual({ message: { id: 5, error: 'late' } });
    expect(readMailbox(box)).toBeUndefined();
  });

  it('refuses a message past its room and keeps the ones before it', () => {
    const box = createMailbox();
    expect(postToMailbox(box, { id: 1, error: 'x' })).toBe(true);
    expect(postToMailbox(box, { id: 2, error: 'y'.repeat(box.byteLength) })).toBe(false);
    expect(readMailbox(box)).toEqual({ message: { id: 1, error: 'x' } });
    expect(readMailbox(box)).toBeUndefined();
  });
});
