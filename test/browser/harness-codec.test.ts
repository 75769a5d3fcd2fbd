/** The Node ⇄ page codec of the browser harness keeps typed arrays bit-exact (Node only). */
import { describe, expect, it } from 'vitest';
import { decode, encode } from './harness-codec.ts';

describe('harness codec', () => {
  it('round-trips typed arrays at any depth, bit-exact (NaN payloads, −0, subnormals)', () => {
    const f = new Float32Array([NaN, -0, 1e-45, Infinity, -3.5]);
    new Uint32Array(f.buffer)[0] = 0x7fc00123; // a NaN with a payload
    const value = { a: f, list: [new Int32Array([-1, 2 ** 31 - 1]), new Uint16Array([0x7e00, 1, 2])], n: 3, s: 'x', nested: { u8: new Uint8Array([255]) } };
    const wire = JSON.parse(JSON.stringify(encode(value))); // what page.evaluate can carry
    const back = decode(wire) as typeof value;
    expect(back.a).toBeInstanceOf(Float32Array);
    expect(Array.from(new Uint32Array(back.a.buffer))).toEqual(Array.from(new Uint32Array(f.buffer)));
    expect(Array.from(back.list[0])).toEqual([-1, 2 ** 31 - 1]);
    expect(back.list[1]).toBeInstanceOf(Uint16Array);
    expect(Array.from(back.list[1])).toEqual([0x7e00, 1, 2]);
    expect(back.n).toBe(3);
    expect(Array.from(back.nested.u8)).toEqual([255]);
  });

  it('encodes a subarray view, not its whole buffer', () => {
    const base = new Float32Array([1, 2, 3, 4]);
    expect(Array.from(decode(encode(base.subarray(1, 3))) as Float32Array)).toEqual([2, 3]);
  });
});
