/**
 * Camera QR scanning for the merchant console. BarcodeDetector where the browser has it; elsewhere (iOS Safari,
 * in-app browsers) jsQR, loaded on first use only, reading each video frame drawn into a canvas.
 */
type Detector = { detect(source: CanvasImageSource): Promise<{ rawValue: string }[]> };
type DetectorCtor = new (o: object) => Detector;

/** Reads a QR from an image source (a video frame, or any canvas image); null when none is found. */
export type FrameDecoder = (source: CanvasImageSource, width: number, height: number) => Promise<string | null>;

export async function frameDecoder(): Promise<{ decode: FrameDecoder; engine: "native" | "jsqr" }> {
  const Native = (window as unknown as { BarcodeDetector?: DetectorCtor }).BarcodeDetector;
  if (Native) {
    const d = new Native({ formats: ["qr_code"] });
    return { engine: "native", decode: async (src) => (await d.detect(src))[0]?.rawValue ?? null };
  }
  const { default: jsQR } = await import("jsqr");
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  return {
    engine: "jsqr",
    decode: async (src, width, height) => {
      // At most 640 px wide: enough for a phone-held QR, and jsQR's time grows with the pixel count.
      const scale = Math.min(1, 640 / width);
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      ctx.drawImage(src, 0, 0, canvas.width, canvas.height);
      const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      return jsQR(img.data, img.width, img.height, { inversionAttempts: "attemptBoth" })?.data ?? null;
    },
  };
}

/** Decodes camera frames until a QR is found or `stopped()` says so; resolves with the text (or null when stopped). */
export async function scanVideo(video: HTMLVideoElement, decode: FrameDecoder, stopped: () => boolean): Promise<string | null> {
  while (!stopped()) {
    if (video.readyState >= 2 && video.videoWidth) {
      try {
        const text = await decode(video, video.videoWidth, video.videoHeight);
        if (text) return text;
      } catch {
        /* frame not ready */
      }
    }
    await new Promise((r) => requestAnimationFrame(r));
  }
  return null;
}
