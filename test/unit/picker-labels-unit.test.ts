import { describe, expect, it } from "vitest";
import { pickerLabels } from "../../site/src/lib/picker-labels";

describe("console picker labels", () => {
  it("a shared name gets its detail and the id's end; a unique name stays bare", () => {
    const products = [
      { id: "pr_01AAAAAAAAAAAAAAAAAAAAAA11", name: "视频会员月卡", status: "published" },
      { id: "pr_01BBBBBBBBBBBBBBBBBBBBBB22", name: "视频会员月卡", status: "draft" },
      { id: "pr_01CCCCCCCCCCCCCCCCCCCCCC33", name: "音乐会员月卡", status: "published" },
    ];
    const labels = pickerLabels(products, (p) => p.status);
    expect(labels.get(products[0]!.id)).toBe("视频会员月卡 · published · #AAAA11");
    expect(labels.get(products[1]!.id)).toBe("视频会员月卡 · draft · #BBBB22");
    expect(labels.get(products[2]!.id)).toBe("音乐会员月卡");
    expect(new Set(labels.values()).size).toBe(3);
  });

  it("without a detail the id's end alone tells them apart", () => {
    const labels = pickerLabels([{ id: "c_x123456", name: "秒杀" }, { id: "c_y654321", name: "秒杀" }]);
    expect([...labels.values()]).toEqual(["秒杀 · #123456", "秒杀 · #654321"]);
  });
});
