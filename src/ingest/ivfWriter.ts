/**
 * IVF framing for ffmpeg's stdin: a 32-byte file header, then per frame a 12-byte header (size, pts) and the
 * frame. Used for VP8 and for Annex-B H.264 (fourcc H264), with pts = the RTP timestamp (timebase 1/90000).
 * Hand-written: it is 20 lines of fixed headers, no library needed.
 */
export function ivfFileHeader(fourcc: 'VP80' | 'H264', width: number, height: number): Buffer {
  const h = Buffer.alloc(32);
  h.write('DKIF', 0, 'ascii');
  h.writeUInt16LE(0, 4);
  h.writeUInt16LE(32, 6);
  h.write(fourcc, 8, 'ascii');
  h.writeUInt16LE(width, 12);
  h.writeUInt16LE(height, 14);
  h.writeUInt32LE(90000, 16); // timebase denominator
  h.writeUInt32LE(1, 20); // timebase numerator
  h.writeUInt32LE(0, 24);
  return h;
}

export function ivfFrameHeader(size: number, pts: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE(size, 0);
  h.writeBigUInt64LE(BigInt(Math.max(0, Math.round(pts))), 4);
  return h;
}
