import { describe, expect, it } from "vitest";
import { chunks, createBatcher } from "./batch.js";

const tick = () => new Promise((r) => setImmediate(r));

describe("createBatcher (unit)", () => {
  it("sends a lone call on the next tick, and gathers calls made while a batch is out into the next one", async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const double = createBatcher(async (items: number[]) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items.map((i) => i * 2);
    });
    const first = double(1);
    await tick();
    expect(batches).toEqual([[1]]);
    const rest = [double(2), double(3), double(4)];
    await tick();
    expect(batches).toHaveLength(1); // still out: the others wait together
    expect(double.pending).toBe(4);
    release();
    expect(await Promise.all([first, ...rest])).toEqual([2, 4, 6, 8]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
    expect(double.pending).toBe(0);
  });

  it("rejects only the caller whose slot holds an Error, and every caller when the batch fails", async () => {
    const check = createBatcher(async (items: number[]) => items.map((i) => (i < 0 ? new Error(`negative ${i}`) : i)));
    const settled = await Promise.allSettled([check(1), check(-2), check(3)]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe("negative -2");

    const down = createBatcher(async (_items: number[]): Promise<number[]> => {
      throw new Error("database gone");
    });
    const all = await Promise.allSettled([down(1), down(2)]);
    expect(all.every((s) => s.status === "rejected" && s.reason.message === "database gone")).toBe(true);
    // And it keeps working after a failed batch.
    expect(await check(5)).toBe(5);
  });

  it("refuses a batch that answers the wrong number of results, and splits at maxBatch", async () => {
    const short = createBatcher(async (items: number[]) => items.slice(1));
    await expect(Promise.all([short(1), short(2)])).rejects.toThrow(/1 results for 2 items/);

    const sizes: number[] = [];
    const small = createBatcher(async (items: number[]) => (sizes.push(items.length), items), { maxBatch: 3 });
    expect(await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => small(i)))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(sizes).toEqual([3, 3, 1]);
  });

  it("chunks splits in order", () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 3)).toEqual([]);
  });
});
