/**
 * Where a face box reported by the server lands on a displayed <video>. The server decodes every stream into a
 * fixed analysis frame (long side `analysisLongSide`, 4:3) with the picture scaled to fit and centred (ffmpeg
 * `force_original_aspect_ratio=decrease,pad`), so boxes are in that padded frame, not in the video's own pixels.
 */
export interface Size {
  width: number;
  height: number;
}
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The analysis frame of the default configuration; stream.started carries the real one when we see it. */
export const DEFAULT_ANALYSIS: Size = { width: 640, height: 480 };

/** Scale and offset of `inner` fitted (contain) and centred in `outer`. */
export function fit(inner: Size, outer: Size): { scale: number; dx: number; dy: number } {
  const scale = Math.min(outer.width / inner.width, outer.height / inner.height);
  return { scale, dx: (outer.width - inner.width * scale) / 2, dy: (outer.height - inner.height * scale) / 2 };
}

/**
 * Maps a box in analysis-frame pixels to pixels of an element that shows the video with `object-fit: contain`.
 * Returns undefined while the video's size is unknown (no frame decoded yet).
 */
export function boxOnElement(box: Rect, analysis: Size, video: Size, element: Size): Rect | undefined {
  if (!video.width || !video.height || !element.width || !element.height) return undefined;
  const a = fit(video, analysis);
  const e = fit(video, element);
  const k = e.scale / a.scale;
  return {
    x: (box.x - a.dx) * k + e.dx,
    y: (box.y - a.dy) * k + e.dy,
    w: box.w * k,
    h: box.h * k,
  };
}
