import { describe, expect, it } from 'vitest';
import { Coalescer } from './coalescer.js';

describe('Coalescer', () => {
  it('flushes a lone item at once', async () => {
    const flushes: number[][] = [];
    const coalescer = new Coalescer<number>(async (items) => void flushes.push(items), 10);
    await coalescer.submit(1);
    await coalescer.submit(2);
    expect(flushes).toStrictEqual([[1], [2]]);
  });

  it('gathers items submitted during a flush into the next one', async () => {
    const flushes: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const coalescer = new Coalescer<number>(async (items) => {
      flushes.push(items);
      if (flushes.length === 1) await gate;
    }, 10);
    const first = coalescer.submit(1);
    await Promise.resolve();
    const rest = [2, 3, 4, 5].map((n) => coalescer.submit(n));
    release();
    await Promise.all([first, ...rest]);
    expect(flushes).toStrictEqual([[1], [2, 3, 4, 5]]);
  });

  it('puts items submitted in the same tick into one flush', async () => {
    const flushes: number[][] = [];
    const coalescer = new Coalescer<number>(async (items) => void flushes.push(items), 10);
    await Promise.all([1, 2, 3].map((n) => coalescer.submit(n)));
    expect(flushes).toStrictEqual([[1, 2, 3]]);
  });

  it('caps a flush at maxBatch items', async () => {
    const flushes: number[][] = [];
    const coalescer = new Coalescer<number>(async (items) => void flushes.push(items), 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => coalescer.submit(n)));
    expect(flushes).toStrictEqual([[1, 2], [3, 4], [5]]);
  });

  it('rejects every item of a failed flush and goes on with the next', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const coalescer = new Coalescer<number>(async () => {
      calls += 1;
      if (calls === 1) await gate;
      if (calls === 2) throw new Error('redis down');
    }, 10);
    const first = coalescer.submit(1);
    await Promise.resolve();
    const failed = [coalescer.submit(2), coalescer.submit(3)];
    release();
    await first;
    for (const result of await Promise.allSettled(failed)) expect(result).toMatchObject({ status: 'rejected', reason: { message: 'redis down' } });
    await expect(coalescer.submit(4)).resolves.toBeUndefined();
  });
});

describe('Coalescer timeouts', () => {
  it('withdraws an item whose timeout passes before its batch starts', async () => {
    const flushes: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const coalescer = new Coalescer<number>(async (items) => {
      flushes.push(items);
      if (flushes.length === 1) await gate;
    }, 10);
    const first = coalescer.submit(1);
    await Promise.resolve();
    const withdrawn = coalescer.submit(2, { ms: 20, error: () => new Error('too late') });
    const kept = coalescer.submit(3, { ms: 60_000, error: () => new Error('not this one') });
    await expect(withdrawn).rejects.toThrow('too late');
    release();
    await Promise.all([first, kept]);
    expect(flushes).toStrictEqual([[1], [3]]);
  });

  it("rejects at its timeout even while the item's batch is in flight, and goes on afterwards", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const flushes: number[][] = [];
    const coalescer = new Coalescer<number>(async (items) => {
      flushes.push(items);
      if (flushes.length === 1) await gate;
    }, 10);
    const started = Date.now();
    const stuck = coalescer.submit(1, { ms: 30, error: () => new Error('deadline') });
    await expect(stuck).rejects.toThrow('deadline');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    release();
    await coalescer.submit(2);
    expect(flushes).toStrictEqual([[1], [2]]);
  });
});
