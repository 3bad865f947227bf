// The checkpoint file format: what goes in comes back, bit for bit, and a damaged file is no checkpoint.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotCheckpointable, readCheckpoint, writeCheckpoint } from '../../src/runner/checkpoint.ts';
import { rng } from '../../src/random.ts';
import { fromArray, zeros } from '../../src/tensor/tensor.ts';
import { tmp } from './helpers.ts';

describe('checkpoint files', () => {
  it('restore tensors in place, rebuild data exactly, keep shared tensors shared and continue random streams', () => {
    const path = join(tmp('ckpt'), 't.ckpt');
    const param = fromArray(Float32Array.from([1.5, -2, 3e-8]), [3]);
    const own = fromArray(Float32Array.from([7, 8, 9, 10]), [2, 2]);
    const stream = rng('s');
    stream.normal(); // leaves Box–Muller's spare cached
    class Net {} // not data: a class instance is structure that init rebuilds
    const marker = new Net();
    const values = {
      state: {
        tied: param,
        own,
        again: own,
        counts: new Int32Array([4, -5]),
        table: new Map<string, unknown>([['a', [NaN, -0, Infinity, 0.1]]]),
        stream,
        model: marker,
        none: undefined,
        flag: true,
      },
    };
    writeCheckpoint(path, 'trial-1', 123, { epoch: 2, step: 17, tensors: [param], values });
    // The stream moves on after the save; the restored one must resume from the save.
    const expected = [stream.normal(), stream.uniform(), stream.normal()];

    const ckpt = readCheckpoint(path)!;
    expect([ckpt.trial, ckpt.epoch, ckpt.step, ckpt.recordsBytes]).toEqual(['trial-1', 2, 17, 123]);
    const into = zeros([3]);
    const fresh = { state: { model: new Net() } };
    const back = ckpt.restore([into], fresh).state as Record<string, unknown>;
    expect(Array.from(into.data)).toEqual(Array.from(param.data));
    expect(back.tied).toBe(into);
    expect(back.own).toBe(back.again);
    expect(Array.from((back.own as typeof own).data)).toEqual([7, 8, 9, 10]);
    expect((back.own as typeof own).shape).toEqual([2, 2]);
    expect(back.counts).toEqual(new Int32Array([4, -5]));
    const row = (back.table as Map<string, number[]>).get('a')!;
    expect(Number.isNaN(row[0]) && Object.is(row[1], -0) && row[2] === Infinity && row[3] === 0.1).toBe(true);
    expect(back.model).toBe(fresh.state.model);
    expect('none' in back && back.none === undefined && back.flag === true).toBe(true);
    const r = back.stream as typeof stream;
    expect([r.normal(), r.uniform(), r.normal()]).toEqual(expected);
  });

  it('a structure the fresh state does not have is refused by name', () => {
    const path = join(tmp('ckpt'), 't.ckpt');
    writeCheckpoint(path, 't', 0, { epoch: 1, step: 1, tensors: [], values: { state: { nets: [{ net: new Date(0) }] } } });
    expect(() => readCheckpoint(path)!.restore([], { state: { nets: [] } })).toThrow(NotCheckpointable);
    expect(() => readCheckpoint(path)!.restore([], { state: { nets: [] } })).toThrow(/\.state\.nets\.0\.net is not data/);
  });

  it('a truncated or foreign file, or one missing, is no checkpoint', () => {
    const dir = tmp('ckpt');
    const path = join(dir, 't.ckpt');
    writeCheckpoint(path, 't', 0, { epoch: 1, step: 4, tensors: [fromArray(new Float32Array(64), [64])], values: {} });
    const whole = readFileSync(path);
    expect(readCheckpoint(path)).not.toBeNull();
    writeFileSync(path, whole.subarray(0, whole.length - 9));
    expect(readCheckpoint(path)).toBeNull();
    writeFileSync(path, Buffer.concat([Buffer.from('NOTACKPT'), whole.subarray(8)]));
    expect(readCheckpoint(path)).toBeNull();
    expect(readCheckpoint(join(dir, 'absent.ckpt'))).toBeNull();
  });
});
