import { describe, expect, it } from "vitest";
import { imageSize, sniffImage } from "../../worker/domain/media";

// 321×123 files written by libwebp and libjpeg (through sharp): lossy WebP (VP8), lossless WebP (VP8L), progressive JPEG.
const files: Record<string, string> = {
  "lossy.webp": "UklGRpwAAABXRUJQVlA4IJAAAABwDACdASpBAXsAPm02mUmkIqKhIEgAgA2JaW7hdrEe3AAAJ7Xoq4QZBDVUnWyHVUmu20XCDIIaqk122i4QZBDVUmu20XCDIIaqk122i4QZBDVUmu20XCDIIaqk122i4QZBDVUmu20XCDIIaYAA/v9PN//9amRj6MX//9cB/84D/5wH9F9bacEJngAAAAAAAAA=",
  "lossless.webp": "UklGRigAAABXRUJQVlA4TBsAAAAvQIEeAAfQmTJ3pv8BBWkbMPVvvzsR/U/uv7IA",
  "progressive.jpg": "/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wgARCAB7AUEDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAX/xAAWAQEBAQAAAAAAAAAAAAAAAAAABAb/2gAMAwEAAhADEAAAAZQg1YAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAH//EABQQAQAAAAAAAAAAAAAAAAAAAJD/2gAIAQEAAQUCJD//xAAUEQEAAAAAAAAAAAAAAAAAAABw/9oACAEDAQE/ASj/xAAUEQEAAAAAAAAAAAAAAAAAAABw/9oACAECAQE/ASj/xAAUEAEAAAAAAAAAAAAAAAAAAACQ/9oACAEBAAY/AiQ//8QAFBABAAAAAAAAAAAAAAAAAAAAkP/aAAgBAQABPyEkP//aAAwDAQACAAMAAAAQ999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999/8QAFBEBAAAAAAAAAAAAAAAAAAAAcP/aAAgBAwEBPxAo/8QAFBEBAAAAAAAAAAAAAAAAAAAAcP/aAAgBAgEBPxAo/8QAFBABAAAAAAAAAAAAAAAAAAAAkP/aAAgBAQABPxAkP//Z",
};

describe("image headers", () => {
  it("reads the pixel size of real PNG, JPEG and WebP (VP8, VP8L, VP8X) files", () => {
    for (const [name, b64] of Object.entries(files)) {
      const bytes = new Uint8Array(Buffer.from(b64, "base64"));
      expect(imageSize(bytes, sniffImage(bytes)!), name).toEqual({ width: 321, height: 123 });
    }
    const png = new Uint8Array(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64"));
    expect(imageSize(png, "image/png")).toEqual({ width: 1, height: 1 });
    const vp8x = new Uint8Array(30);
    vp8x.set(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8X"));
    vp8x.set([0x40, 0x01, 0x00, 0x7a, 0x00, 0x00], 24); // canvas 321 × 123, stored minus one
    expect(imageSize(vp8x, "image/webp")).toEqual({ width: 321, height: 123 });
  });

  it("has no size for a magic number alone or a header cut short", () => {
    for (const [name, b64] of Object.entries(files)) {
      const bytes = new Uint8Array(Buffer.from(b64, "base64")).subarray(0, 20);
      expect(imageSize(bytes, sniffImage(bytes)!), name).toBeNull();
    }
    expect(imageSize(new Uint8Array([0xff, 0xd8, 0xff]), "image/jpeg")).toBeNull();
  });
});
