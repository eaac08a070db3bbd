import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../src/tensor/random.js";

test("same seed gives the same stream; different seeds differ", () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const sa = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(sa, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(sa, Array.from({ length: 5 }, () => c.next()));
});

test("state round-trips: restoring gives the same continuation", () => {
  const r = new Rng(7);
  r.next();
  const s = r.getState();
  const x = [r.next(), r.normal(), r.int(10)];
  r.setState(s);
  assert.deepEqual([r.next(), r.normal(), r.int(10)], x);
});

test("uniform draws are in [0,1) with mean near 1/2; normal has mean 0, var 1", () => {
  const r = new Rng(1);
  let s = 0, n = 0, s2 = 0;
  for (let i = 0; i < 20000; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    s += u;
    const z = r.normal();
    n += z;
    s2 += z * z;
  }
  assert.ok(Math.abs(s / 20000 - 0.5) < 0.01);
  assert.ok(Math.abs(n / 20000) < 0.03);
  assert.ok(Math.abs(s2 / 20000 - 1) < 0.05);
});

test("shuffle is a permutation", () => {
  const p = new Rng(3).permutation(50);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
});

test("bad seeds and states are refused", () => {
  assert.throws(() => new Rng(NaN), /seed/);
  assert.throws(() => new Rng(1).setState([0, 0, 0, 0]), /all-zero/);
});

test("fork gives an independent, reproducible child generator", () => {
  const streams = Array.from({ length: 2 }, () => {
    const parent = new Rng(99);
    const children = Array.from({ length: 50 }, () => parent.fork());
    return children.map((c) => c.next());
  });
  assert.deepEqual(streams[0], streams[1]);
  assert.equal(new Set(streams[0]).size, 50);
});
