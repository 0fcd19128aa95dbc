/**
 * The face stack on real photos with the real models: face counts as a person sees them, no face where there is
 * none, anatomically ordered landmarks, iris inside the eye, tracking agreeing with detection, batched = single,
 * expressions of posed stills, descriptors and body keypoints.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BlazeFaceDetector } from '../../src/vision/blazeFace.ts';
import { cosineSimilarity, FaceDescriptor } from '../../src/vision/faceDescriptor.ts';
import { LEFT_EYE_CONTOUR, MESH, meshRoll, RIGHT_EYE_CONTOUR } from '../../src/vision/faceMesh.ts';
import { FaceStack, type StackFace } from '../../src/vision/faceStack.ts';
import type { RgbFrame } from '../../src/vision/imageOps.ts';
import { MoveNet } from '../../src/vision/movenet.ts';
import type { VisionModels } from '../../src/vision/visionModels.ts';
import { mediaPath, skipWithoutMedia } from '../harness/media.ts';
import { cache, DEMO_FACES, demoPhoto, loadFrame, SHARED_FACES, visionModels } from './fixtures.ts';

let models: VisionModels;
let stack: FaceStack;
const frames = new Map<string, RgbFrame>();
const demo = async (name: string) => {
  let f = frames.get(name);
  if (!f) {
    f = await loadFrame(demoPhoto(name));
    frames.set(name, f);
  }
  return f;
};

before(async () => {
  models = await visionModels();
  stack = new FaceStack(models, { iris: { enabled: true } });
});
after(() => cache.releaseAll());

/** Point (x, y) rotated into the face's upright frame (eye line horizontal). */
function upright(face: StackFace, i: number): [number, number] {
  const lm = face.mesh.landmarks;
  const a = -meshRoll(lm);
  const x = lm[3 * i];
  const y = lm[3 * i + 1];
  return [Math.cos(a) * x - Math.sin(a) * y, Math.sin(a) * x + Math.cos(a) * y];
}

const mean = (face: StackFace, idx: readonly number[]) => {
  const p = idx.map((i) => upright(face, i));
  return [p.reduce((s, q) => s + q[0], 0) / p.length, p.reduce((s, q) => s + q[1], 0) / p.length];
};

function insidePolygon(x: number, y: number, poly: [number, number][]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

describe('face counts on real photos', () => {
  for (const [name, count] of Object.entries(DEMO_FACES)) {
    it(`${name}: ${count} faces`, async () => {
      const frame = await demo(name);
      assert.equal((await stack.detector.detect(frame)).length, count, 'BlazeFace detections');
      assert.equal((await stack.detect(frame)).length, count, 'faces confirmed by the mesh');
    });
  }

  for (const [name, count] of Object.entries(SHARED_FACES)) {
    it(`shared ${name}: ${count} faces`, { skip: skipWithoutMedia(`faces/${name}`) }, async () => {
      const frame = await loadFrame(mediaPath(`faces/${name}`) as string);
      assert.equal((await stack.detect(frame)).length, count);
    });
  }
});

describe('no face', () => {
  // background crops of the demo photos: window blinds above a head (sample6), the wall and posters (sample1),
  // a door with a face-like switch plate, an arm and legs (sample3)
  const crops = [
    { name: 'sample6.jpg', region: { left: 0, top: 0, width: 450, height: 480 } },
    { name: 'sample1.jpg', region: { left: 0, top: 0, width: 1300, height: 330 } },
    { name: 'sample3.jpg', region: { left: 0, top: 0, width: 560, height: 1350 } },
  ];
  for (const c of crops) {
    it(`finds none in a background crop of ${c.name}`, async () => {
      const frame = await loadFrame(demoPhoto(c.name), { region: c.region });
      assert.deepEqual(await stack.detect(frame), []);
    });
  }

  it('finds none in a textured synthetic image', async () => {
    const W = 640;
    const H = 480;
    const rgb = new Uint8Array(W * H * 3);
    let s = 12345;
    for (let i = 0; i < W * H; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const x = i % W;
      const y = (i / W) | 0;
      const v = 128 + 60 * Math.sin(x / 17) * Math.cos(y / 23) + ((s >>> 24) - 128) / 4;
      rgb.set([v, (v + x / 5) & 255, (255 - v) & 255], 3 * i);
    }
    assert.deepEqual(await stack.detect({ width: W, height: H, rgb }), []);
  });
});

describe('landmarks', () => {
  it('are anatomically ordered on every confident face: eyes above nose above mouth above chin', async () => {
    let checked = 0;
    for (const name of Object.keys(DEMO_FACES)) {
      for (const face of await stack.detect(await demo(name))) {
        // the profile face of sample2 (mesh confidence ~0.4) has no reliable far-side landmarks
        if (face.score < 0.9) continue;
        const [rex, rey] = mean(face, RIGHT_EYE_CONTOUR);
        const [lex, ley] = mean(face, LEFT_EYE_CONTOUR);
        const nose = upright(face, MESH.noseTip)[1];
        const mouth = (upright(face, MESH.upperLipTop)[1] + upright(face, MESH.lowerLipBottom)[1]) / 2;
        const chin = upright(face, MESH.chin)[1];
        const where = `${name} face at ${face.box.x.toFixed(0)},${face.box.y.toFixed(0)}`;
        assert.ok(rex < lex, `${where}: the subject's right eye is on the image's left`);
        assert.ok(Math.max(rey, ley) < nose, `${where}: eyes above the nose tip`);
        assert.ok(nose < mouth, `${where}: nose above the mouth`);
        assert.ok(mouth < chin, `${where}: mouth above the chin`);
        // the mesh lies inside the detector's box, enlarged
        const d = face.detection?.box;
        assert.ok(
          d && Math.abs(face.box.x + face.box.w / 2 - (d.x + d.w / 2)) < d.w * 0.5,
          `${where}: mesh on the detection`,
        );
        checked++;
      }
    }
    assert.ok(checked >= 20, `checked ${checked} faces`);
  });

  it('put each iris centre inside its eye contour (open eyes, frontal faces)', async () => {
    let checked = 0;
    // sample3, sample6: every face looks at the camera with open eyes
    for (const name of ['sample3.jpg', 'sample6.jpg']) {
      for (const face of await stack.detect(await demo(name))) {
        const iris = face.iris;
        assert.ok(iris);
        const lm = face.mesh.landmarks;
        for (const [eye, contour] of [
          [iris.right, RIGHT_EYE_CONTOUR],
          [iris.left, LEFT_EYE_CONTOUR],
        ] as const) {
          const poly = contour.map((i) => [lm[3 * i], lm[3 * i + 1]] as [number, number]);
          assert.ok(
            insidePolygon(eye.center[0], eye.center[1], poly),
            `${name}: iris centre ${eye.center} outside the eye`,
          );
          const eyeWidth = Math.hypot(poly[0][0] - poly[8][0], poly[0][1] - poly[8][1]);
          assert.ok(eye.radius > eyeWidth * 0.1 && eye.radius < eyeWidth * 0.5, `${name}: iris radius ${eye.radius}`);
          checked++;
        }
      }
    }
    assert.equal(checked, 14);
  });

  it('tracking mode (previous landmarks, no detector) agrees with detection mode', async () => {
    const frame = await demo('sample4.jpg');
    const detected = await stack.detect(frame);
    const tracked = await stack.track(
      frame,
      detected.map((f) => f.mesh.landmarks),
    );
    assert.equal(tracked.length, detected.length);
    detected.forEach((d, k) => {
      const t = tracked[k];
      assert.ok(t, 'face kept');
      let dist = 0;
      for (let i = 0; i < 468; i++) {
        dist += Math.hypot(
          t.mesh.landmarks[3 * i] - d.mesh.landmarks[3 * i],
          t.mesh.landmarks[3 * i + 1] - d.mesh.landmarks[3 * i + 1],
        );
      }
      assert.ok(dist / 468 < 0.03 * d.box.w, `mean landmark shift ${(dist / 468).toFixed(1)} px`);
      assert.equal(t.expression.top, d.expression.top);
    });
  });

  it('loses the track (null) when the face is gone', async () => {
    const face = (await stack.detect(await demo('sample6.jpg')))[0];
    const empty = await loadFrame(demoPhoto('sample1.jpg'), { region: { left: 0, top: 0, width: 1300, height: 330 } });
    assert.deepEqual(await stack.track(empty, [face.mesh.landmarks]), [null]);
  });
});

describe('expression', () => {
  it('batched runs equal one-face runs', async () => {
    const frame = await demo('sample5.jpg');
    const faces = await stack.detect(frame);
    const regions = faces.map((f) => stack.expression.regionsFromMesh(f.mesh.landmarks));
    const batch = await stack.expression.run(frame, regions);
    for (let i = 0; i < faces.length; i++) {
      const [one] = await stack.expression.run(frame, [regions[i]]);
      for (let k = 0; k < 7; k++) assert.ok(Math.abs(one.probs[k] - batch[i].probs[k]) < 1e-4);
      assert.ok(Math.abs(one.emotion.embedding[5] - batch[i].emotion.embedding[5]) < 1e-3);
      assert.equal(batch[i].faceExpression.embedding.length, 256);
    }
  });

  it('reads the two broad smiles of sample3 as happy and gives 7 probabilities summing to 1', async () => {
    const faces = (await stack.detect(await demo('sample3.jpg'))).sort((a, b) => a.box.x - b.box.x);
    assert.deepEqual(
      faces.slice(1).map((f) => f.expression.top),
      ['happy', 'happy'],
    );
    for (const f of faces) {
      for (const p of [f.expression.probs, f.expression.emotion.probs, f.expression.faceExpression.probs]) {
        assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-4);
      }
    }
  });

  const stills: [string, string][] = [
    ['0-f1-su-ph.jpg', 'surprised'],
    ['0-f15-hao-ph.jpg', 'happy'],
  ];
  for (const [file, label] of stills) {
    it(`posed still ${file} (labels_stills.csv) reads ${label}`, {
      skip: skipWithoutMedia(`faces/${file}`, 'faces/labels_stills.csv'),
    }, async () => {
      const faces = await stack.detect(await loadFrame(mediaPath(`faces/${file}`) as string));
      assert.equal(faces.length, 1);
      assert.equal(faces[0].expression.top, label);
    });
  }
});

describe('face descriptor', () => {
  it('matches each face of sample6 to itself at half resolution, not to the others', async () => {
    const fd = new FaceDescriptor(models.faceres);
    const full = await demo('sample6.jpg');
    const half = await loadFrame(demoPhoto('sample6.jpg'), { width: 960 });
    const a = (await stack.detect(full)).sort((p, q) => p.box.x - q.box.x);
    const b = (await stack.detect(half)).sort((p, q) => p.box.x - q.box.x);
    const da = await fd.run(
      full,
      a.map((f) => f.mesh.landmarks),
    );
    const db = await fd.run(
      half,
      b.map((f) => f.mesh.landmarks),
    );
    assert.equal(da[0].length, 1024);
    assert.ok(Math.abs(Math.hypot(...da[0]) - 1) < 1e-4, 'unit length');
    for (let i = 0; i < da.length; i++) {
      for (let j = 0; j < db.length; j++) {
        const s = cosineSimilarity(da[i], db[j]);
        if (i === j) assert.ok(s > 0.9, `same face ${i}: ${s}`);
        else assert.ok(s < 0.75, `faces ${i}/${j}: ${s}`);
      }
    }
  });
});

describe('body keypoints', () => {
  it('finds the pose of one person (sample4, third woman from the left)', async () => {
    const mn = new MoveNet(models.movenet);
    const frame = await demo('sample4.jpg');
    const pose = await mn.run(frame);
    const kp = Object.fromEntries(pose.keypoints.map((k) => [k.name, k]));
    assert.equal(pose.keypoints.length, 17);
    // her face (BlazeFace) spans x 977–1178, y 228–429 in the 1920-wide photo
    const [nx, ny] = kp.nose.position;
    assert.ok(nx > 977 && nx < 1178 && ny > 228 && ny < 429, `nose at ${nx},${ny}`);
    assert.ok(kp.leftShoulder.position[1] > ny && kp.rightShoulder.position[1] > ny, 'shoulders below the nose');
    assert.ok(kp.leftHip.position[1] > kp.leftShoulder.position[1], 'hips below the shoulders');
    assert.ok(kp.leftShoulder.position[0] > kp.rightShoulder.position[0], "her left shoulder on the image's right");
  });
});

describe('detector options', () => {
  it('raising the score threshold drops the weakest face (sample2 profile, ~0.6)', async () => {
    const strict = new BlazeFaceDetector(models.blazeface, { minScore: 0.7 });
    assert.equal((await strict.detect(await demo('sample2.jpg'))).length, 2);
  });
});
