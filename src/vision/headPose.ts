/**
 * Head pose in degrees from the 3-D mesh, read off the face frame of alignment.ts (a rotation built from rigid points,
 * so expressions do not move it). Conventions: yaw > 0 turns the face towards the image right, pitch > 0 tilts the chin
 * up... as seen from the camera; roll > 0 tilts the eye line clockwise in the image.
 */
import { type FaceFrame, faceFrame } from './alignment.ts';

export interface HeadPose {
  yaw: number;
  pitch: number;
  roll: number;
}

const DEG = 180 / Math.PI;

/** ZYX (roll·yaw·pitch) Euler angles of the face frame's rotation. */
export function headPoseFromFrame(f: FaceFrame): HeadPose {
  const r = f.r;
  // rows of r are the face axes in camera coordinates; columns of its transpose the same
  const x = [r[0], r[1], r[2]];
  const y = [r[3], r[4], r[5]];
  const roll = Math.atan2(x[1], x[0]) * DEG;
  const yaw = Math.asin(Math.max(-1, Math.min(1, x[2]))) * DEG;
  const pitch = Math.asin(Math.max(-1, Math.min(1, -y[2]))) * DEG;
  return { yaw, pitch, roll };
}

export function headPose(lm: Float32Array): HeadPose {
  return headPoseFromFrame(faceFrame(lm));
}
