/**
 * The population's neutral face, per geometric measure of actionUnits.ts (pose-normalised mesh, inter-ocular units):
 * [neutral value, between-person spread σ]. A track's neutral baseline starts here and hands over to the track's own
 * confidently-neutral samples (neutralBaseline.ts); the spread sets how far a face may differ from the population
 * before the difference could read as an AU (actionUnits.ts identity dead zone).
 *
 * Measured by scripts/neutralPrior.ts on 18 persons from media that is not the MEAD evaluation set (which is never
 * used to fit anything): the talking heads ../shared/media/talking/1–5.mp4 and faces/single_face.mp4 (median over
 * each clip's closed-mouth frames) and the faces of the group and multi-face photos that the expression nets call
 * neutral with probability ≥ 0.2 (12 faces). Value = median over persons, σ = standard deviation over persons. Not
 * the MediaPipe canonical mesh: @vladmandic/human ships only its UV map (a texture unwrap, 2-D, stretched at the
 * sides), and our measures read the tracked FaceMesh output, whose own biases (eye aperture, lip thickness at this
 * resolution) a real-face population includes and a canonical model does not.
 * Re-run the script and paste its output after changing a measure's formula.
 */
export const NEUTRAL_PRIOR: Record<string, readonly [number, number]> = {
  innerBrow: [0.2355, 0.045],
  outerBrow: [0.2158, 0.0309],
  browGap: [0.4067, 0.0197],
  eyeOpen: [0.0984, 0.0182],
  upperLid: [0.0771, 0.0293],
  lowerLid: [-0.061, 0.0108],
  cheek: [-0.513, 0.0283],
  noseWing: [-0.7161, 0.0333],
  corner: [-1.0715, 0.0594],
  mouthW: [0.8085, 0.0732],
  lipGap: [0.0321, 0.0182],
  jaw: [1.7294, 0.1216],
  lipThick: [0.242, 0.0221],
  chinLip: [0.4916, 0.0746],
  cornerR: [-1.0684, 0.0594],
  cornerL: [-1.0691, 0.0614],
  liftR: [0.0163, 0.0194],
  liftL: [0.0189, 0.0208],
  // added with the measure (same script, 16 persons: the current detector finds 16 of the 18 the rows above came from)
  liftAsym: [0.0059, 0.0225],
};
