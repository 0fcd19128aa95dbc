;; Bilinear affine warp of a packed RGB24 frame into float32 NHWC: the WebAssembly SIMD twin of warpRgb / warpGrey in
;; imageOps.ts (assembled at load time by warpWasm.ts with the `wabt` package; see there for why).
;;
;; Every output value is BIT-IDENTICAL to the JS loops: the same float64 expressions in the same order (no fused
;; multiply-add in wasm; f64x2 lanes are plain IEEE f64), stored through f32.demote (round to nearest even, as a
;; Float32Array store). That includes the source position, which is stepped by + a / + d pixel by pixel along a row
;; exactly as the JS does (never u·a), the interior test (x ≥ 0, y ≥ 0, x < W − 2, y < H − 1), the outside test and
;; the partial-edge sampling (floor, corners outside the frame take `border`, summed from 0 in corner order 00 10 01 11).
;;
;; Layout of the SIMD path: two neighbouring output pixels per step, one pixel per f64x2 lane, so every lane does
;; useful work for every channel: for pixel u and u + 1 the 8 bytes at their top-left corners (R G B of the corner
;; and of its right neighbour) are loaded into one v128 per source row (its 2 unused bytes per pixel set to 0x30 0x43);
;; a swizzle per (corner, channel) puts one byte of each pixel under those two, which makes the f64 2^52 + byte, and
;; subtracting 2^52 leaves the byte as f64 (exact, and cheaper in V8 than i32 lanes + convert_low). Runs of pairs
;; inside the interior go through a loop without calls ($fast); a pair with any pixel off the interior goes through
;; the scalar $rgb_px / $grey_px. Two pixels per step is ~2× the JS loops' speed here (a V8 wasm v128 is 128 bits, and
;; the 12 byte shuffles per pair bound it).
;;
;; Frame: `src` points at W·H·3 bytes in this memory. Output: `out` points at outW·outH·channels f32.
(module
  (memory (export "memory") 1)
  ;; Bytes 0–191: the SIMD loops' constants (swizzle masks $M0–$M5, $KEEP, $MAGB, 2^52, 1, 3, 0); 256–431: each call's
  ;; splatted arguments. The loops load all their v128 constants from memory before they start: a v128.const or a
  ;; splat kept in a local is rebuilt by V8 inside the loop on every iteration (~4 instructions each), a load is not.
  ;; The JS side allocates from byte 1024 on.
  (data (i32.const 0) "\00\80\80\80\80\80\06\07\08\80\80\80\80\80\0e\0f\01\80\80\80\80\80\06\07\09\80\80\80\80\80\0e\0f\02\80\80\80\80\80\06\07\0a\80\80\80\80\80\0e\0f\03\80\80\80\80\80\06\07\0b\80\80\80\80\80\0e\0f\04\80\80\80\80\80\06\07\0c\80\80\80\80\80\0e\0f\05\80\80\80\80\80\06\07\0d\80\80\80\80\80\0e\0f\ff\ff\ff\ff\ff\ff\00\00\ff\ff\ff\ff\ff\ff\00\00\00\00\00\00\00\00\30\43\00\00\00\00\00\00\30\43\00\00\00\00\00\00\30\43\00\00\00\00\00\00\30\43\00\00\00\00\00\00\f0\3f\00\00\00\00\00\00\f0\3f\00\00\00\00\00\00\08\40\00\00\00\00\00\00\08\40\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")

  ;; one corner of the edge path: the pixel's R, G, B, or the border value for a corner outside the frame
  (func $corner (param $src i32) (param $W i32) (param $H i32) (param $xx f64) (param $yy f64) (param $border f64)
    (result f64 f64 f64)
    (local $i i32)
    (if (result f64 f64 f64)
      (i32.and
        (i32.and (f64.ge (local.get $xx) (f64.const 0)) (f64.ge (local.get $yy) (f64.const 0)))
        (i32.and
          (f64.lt (local.get $xx) (f64.convert_i32_s (local.get $W)))
          (f64.lt (local.get $yy) (f64.convert_i32_s (local.get $H)))))
      (then
        (local.set $i
          (i32.add (local.get $src)
            (i32.mul
              (i32.add
                (i32.mul (i32.trunc_f64_s (local.get $yy)) (local.get $W))
                (i32.trunc_f64_s (local.get $xx)))
              (i32.const 3))))
        (f64.convert_i32_u (i32.load8_u (local.get $i)))
        (f64.convert_i32_u (i32.load8_u offset=1 (local.get $i)))
        (f64.convert_i32_u (i32.load8_u offset=2 (local.get $i))))
      (else (local.get $border) (local.get $border) (local.get $border))))

  ;; sampleEdge of imageOps.ts: bilinear with out-of-frame corners taken as `border`
  (func $edge (param $src i32) (param $W i32) (param $H i32) (param $sx f64) (param $sy f64) (param $border f64)
    (result f64 f64 f64)
    (local $x0 f64) (local $y0 f64) (local $fx f64) (local $fy f64) (local $w f64)
    (local $r f64) (local $g f64) (local $b f64) (local $pr f64) (local $pg f64) (local $pb f64)
    (local.set $x0 (f64.floor (local.get $sx)))
    (local.set $y0 (f64.floor (local.get $sy)))
    (local.set $fx (f64.sub (local.get $sx) (local.get $x0)))
    (local.set $fy (f64.sub (local.get $sy) (local.get $y0)))
    (local.set $r (f64.const 0))
    (local.set $g (f64.const 0))
    (local.set $b (f64.const 0))
    ;; k = 0: (x0, y0), w = (1 − fx)(1 − fy)
    (local.set $w (f64.mul (f64.sub (f64.const 1) (local.get $fx)) (f64.sub (f64.const 1) (local.get $fy))))
    (call $corner (local.get $src) (local.get $W) (local.get $H) (local.get $x0) (local.get $y0) (local.get $border))
    (local.set $pb) (local.set $pg) (local.set $pr)
    (local.set $r (f64.add (local.get $r) (f64.mul (local.get $pr) (local.get $w))))
    (local.set $g (f64.add (local.get $g) (f64.mul (local.get $pg) (local.get $w))))
    (local.set $b (f64.add (local.get $b) (f64.mul (local.get $pb) (local.get $w))))
    ;; k = 1: (x0 + 1, y0), w = fx(1 − fy)
    (local.set $w (f64.mul (local.get $fx) (f64.sub (f64.const 1) (local.get $fy))))
    (call $corner (local.get $src) (local.get $W) (local.get $H)
      (f64.add (local.get $x0) (f64.const 1)) (local.get $y0) (local.get $border))
    (local.set $pb) (local.set $pg) (local.set $pr)
    (local.set $r (f64.add (local.get $r) (f64.mul (local.get $pr) (local.get $w))))
    (local.set $g (f64.add (local.get $g) (f64.mul (local.get $pg) (local.get $w))))
    (local.set $b (f64.add (local.get $b) (f64.mul (local.get $pb) (local.get $w))))
    ;; k = 2: (x0, y0 + 1), w = (1 − fx)fy
    (local.set $w (f64.mul (f64.sub (f64.const 1) (local.get $fx)) (local.get $fy)))
    (call $corner (local.get $src) (local.get $W) (local.get $H)
      (local.get $x0) (f64.add (local.get $y0) (f64.const 1)) (local.get $border))
    (local.set $pb) (local.set $pg) (local.set $pr)
    (local.set $r (f64.add (local.get $r) (f64.mul (local.get $pr) (local.get $w))))
    (local.set $g (f64.add (local.get $g) (f64.mul (local.get $pg) (local.get $w))))
    (local.set $b (f64.add (local.get $b) (f64.mul (local.get $pb) (local.get $w))))
    ;; k = 3: (x0 + 1, y0 + 1), w = fx·fy
    (local.set $w (f64.mul (local.get $fx) (local.get $fy)))
    (call $corner (local.get $src) (local.get $W) (local.get $H)
      (f64.add (local.get $x0) (f64.const 1)) (f64.add (local.get $y0) (f64.const 1)) (local.get $border))
    (local.set $pb) (local.set $pg) (local.set $pr)
    (local.set $r (f64.add (local.get $r) (f64.mul (local.get $pr) (local.get $w))))
    (local.set $g (f64.add (local.get $g) (f64.mul (local.get $pg) (local.get $w))))
    (local.set $b (f64.add (local.get $b) (f64.mul (local.get $pb) (local.get $w))))
    (local.get $r) (local.get $g) (local.get $b))

  ;; the JS fast path for one pixel whose 2×2 neighbourhood is inside the frame (0 ≤ sx < W − 2, 0 ≤ sy < H − 1)
  (func $inner (param $src i32) (param $W i32) (param $sx f64) (param $sy f64) (result f64 f64 f64)
    (local $x0 i32) (local $y0 i32) (local $fx f64) (local $fy f64) (local $i00 i32) (local $i01 i32)
    (local $w00 f64) (local $w10 f64) (local $w01 f64) (local $w11 f64)
    (local.set $x0 (i32.trunc_f64_s (local.get $sx)))
    (local.set $y0 (i32.trunc_f64_s (local.get $sy)))
    (local.set $fx (f64.sub (local.get $sx) (f64.convert_i32_s (local.get $x0))))
    (local.set $fy (f64.sub (local.get $sy) (f64.convert_i32_s (local.get $y0))))
    (local.set $i00
      (i32.add (local.get $src)
        (i32.mul (i32.add (i32.mul (local.get $y0) (local.get $W)) (local.get $x0)) (i32.const 3))))
    (local.set $i01 (i32.add (local.get $i00) (i32.mul (local.get $W) (i32.const 3))))
    (local.set $w00 (f64.mul (f64.sub (f64.const 1) (local.get $fx)) (f64.sub (f64.const 1) (local.get $fy))))
    (local.set $w10 (f64.mul (local.get $fx) (f64.sub (f64.const 1) (local.get $fy))))
    (local.set $w01 (f64.mul (f64.sub (f64.const 1) (local.get $fx)) (local.get $fy)))
    (local.set $w11 (f64.mul (local.get $fx) (local.get $fy)))
    (f64.add
      (f64.add
        (f64.add
          (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $i00))) (local.get $w00))
          (f64.mul (f64.convert_i32_u (i32.load8_u offset=3 (local.get $i00))) (local.get $w10)))
        (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $i01))) (local.get $w01)))
      (f64.mul (f64.convert_i32_u (i32.load8_u offset=3 (local.get $i01))) (local.get $w11)))
    (f64.add
      (f64.add
        (f64.add
          (f64.mul (f64.convert_i32_u (i32.load8_u offset=1 (local.get $i00))) (local.get $w00))
          (f64.mul (f64.convert_i32_u (i32.load8_u offset=4 (local.get $i00))) (local.get $w10)))
        (f64.mul (f64.convert_i32_u (i32.load8_u offset=1 (local.get $i01))) (local.get $w01)))
      (f64.mul (f64.convert_i32_u (i32.load8_u offset=4 (local.get $i01))) (local.get $w11)))
    (f64.add
      (f64.add
        (f64.add
          (f64.mul (f64.convert_i32_u (i32.load8_u offset=2 (local.get $i00))) (local.get $w00))
          (f64.mul (f64.convert_i32_u (i32.load8_u offset=5 (local.get $i00))) (local.get $w10)))
        (f64.mul (f64.convert_i32_u (i32.load8_u offset=2 (local.get $i01))) (local.get $w01)))
      (f64.mul (f64.convert_i32_u (i32.load8_u offset=5 (local.get $i01))) (local.get $w11))))

  ;; interior / outside / edge, as the JS loop decides per pixel; returns R, G, B before scale and offset, or
  ;; (border, border, border) with $outside = 1 (the JS writes border·s + o there, not a bilinear sum)
  (func $sample (param $src i32) (param $W i32) (param $H i32) (param $sx f64) (param $sy f64) (param $border f64)
    (result f64 f64 f64 i32)
    (if (result f64 f64 f64 i32)
      (i32.and
        (i32.and (f64.ge (local.get $sx) (f64.const 0)) (f64.ge (local.get $sy) (f64.const 0)))
        (i32.and
          (f64.lt (local.get $sx) (f64.convert_i32_s (i32.sub (local.get $W) (i32.const 2))))
          (f64.lt (local.get $sy) (f64.convert_i32_s (i32.sub (local.get $H) (i32.const 1))))))
      (then (call $inner (local.get $src) (local.get $W) (local.get $sx) (local.get $sy)) (i32.const 0))
      (else
        (if (result f64 f64 f64 i32)
          (i32.or
            (i32.or (f64.lt (local.get $sx) (f64.const -1)) (f64.lt (local.get $sy) (f64.const -1)))
            (i32.or
              (f64.ge (local.get $sx) (f64.convert_i32_s (local.get $W)))
              (f64.ge (local.get $sy) (f64.convert_i32_s (local.get $H)))))
          (then (local.get $border) (local.get $border) (local.get $border) (i32.const 1))
          (else
            (call $edge (local.get $src) (local.get $W) (local.get $H) (local.get $sx) (local.get $sy)
              (local.get $border))
            (i32.const 0))))))

  ;; one RGB output pixel by the scalar path
  (func $rgb_px (param $src i32) (param $W i32) (param $H i32) (param $out i32) (param $sx f64) (param $sy f64)
    (param $s0 f64) (param $s1 f64) (param $s2 f64) (param $o0 f64) (param $o1 f64) (param $o2 f64) (param $border f64)
    (local $r f64) (local $g f64) (local $b f64)
    ;; $sample's outside flag is dropped: border·s + o is the same expression as a sum·s + o with sum = border
    (drop (call $sample (local.get $src) (local.get $W) (local.get $H) (local.get $sx) (local.get $sy)
      (local.get $border)))
    (local.set $b) (local.set $g) (local.set $r)
    (f32.store (local.get $out) (f32.demote_f64 (f64.add (f64.mul (local.get $r) (local.get $s0)) (local.get $o0))))
    (f32.store offset=4 (local.get $out)
      (f32.demote_f64 (f64.add (f64.mul (local.get $g) (local.get $s1)) (local.get $o1))))
    (f32.store offset=8 (local.get $out)
      (f32.demote_f64 (f64.add (f64.mul (local.get $b) (local.get $s2)) (local.get $o2)))))

  ;; one grey output pixel by the scalar path
  (func $grey_px (param $src i32) (param $W i32) (param $H i32) (param $out i32) (param $sx f64) (param $sy f64)
    (param $wr f64) (param $wg f64) (param $wb f64) (param $offset f64) (param $border f64)
    (local $r f64) (local $g f64) (local $b f64) (local $outside i32)
    (call $sample (local.get $src) (local.get $W) (local.get $H) (local.get $sx) (local.get $sy) (local.get $border))
    (local.set $outside) (local.set $b) (local.set $g) (local.set $r)
    (f32.store (local.get $out)
      (f32.demote_f64
        (if (result f64) (local.get $outside)
          ;; border·(wr + wg + wb) + offset
          (then
            (f64.add
              (f64.mul (local.get $border) (f64.add (f64.add (local.get $wr) (local.get $wg)) (local.get $wb)))
              (local.get $offset)))
          (else
            (f64.add
              (f64.add
                (f64.add (f64.mul (local.get $r) (local.get $wr)) (f64.mul (local.get $g) (local.get $wg)))
                (f64.mul (local.get $b) (local.get $wb)))
              (local.get $offset)))))))

  ;; Row start (index space, pixel centres on integers) of output row v: a·0.5 + b·(v + 0.5) + c − 0.5, and the same
  ;; with d, e, f, as (sx, sy).
  (func $rowStart (param $v i32) (param $a f64) (param $b f64) (param $c f64) (param $d f64) (param $e f64)
    (param $f f64) (result v128)
    (local $vf f64)
    (local.set $vf (f64.add (f64.convert_i32_s (local.get $v)) (f64.const 0.5)))
    (f64x2.replace_lane 1
      (f64x2.splat
        (f64.sub
          (f64.add (f64.add (f64.mul (local.get $a) (f64.const 0.5)) (f64.mul (local.get $b) (local.get $vf)))
            (local.get $c))
          (f64.const 0.5)))
      (f64.sub
        (f64.add (f64.add (f64.mul (local.get $d) (f64.const 0.5)) (f64.mul (local.get $e) (local.get $vf)))
          (local.get $f))
        (f64.const 0.5))))

  (func (export "warp_rgb") (param $src i32) (param $W i32) (param $H i32) (param $out i32) (param $outW i32)
    (param $outH i32) (param $a f64) (param $b f64) (param $c f64) (param $d f64) (param $e f64) (param $f f64)
    (param $s0 f64) (param $s1 f64) (param $s2 f64) (param $o0 f64) (param $o1 f64) (param $o2 f64) (param $border f64)
    (local $v i32) (local $u i32) (local $row i32) (local $i0 i32) (local $i1 i32)
    (local $P v128) (local $P1 v128) (local $A v128) (local $HI v128) (local $ROWF v128)
    (local $X v128) (local $Y v128) (local $TX v128) (local $TY v128)
    (local $FX v128) (local $FY v128) (local $GX v128) (local $GY v128)
    (local $W00 v128) (local $W10 v128) (local $W01 v128) (local $W11 v128)
    (local $Q0 v128) (local $Q1 v128) (local $R v128) (local $G v128) (local $B v128)
    (local $M0 v128) (local $M1 v128) (local $M2 v128) (local $M3 v128) (local $M4 v128) (local $M5 v128)
    (local $KEEP v128) (local $MAGB v128) (local $MAG v128) (local $ONE v128) (local $THREE v128) (local $ZERO v128)
    (local $RG v128) (local $S0 v128) (local $S1 v128) (local $S2 v128) (local $O0 v128) (local $O1 v128) (local $O2 v128)
    (local.set $row (i32.mul (local.get $W) (i32.const 3)))
    (v128.store (i32.const 256) (f64x2.replace_lane 1 (f64x2.splat (local.get $a)) (local.get $d)))
    (v128.store (i32.const 272)
      (f64x2.replace_lane 1
        (f64x2.splat (f64.convert_i32_s (i32.sub (local.get $W) (i32.const 2))))
        (f64.convert_i32_s (i32.sub (local.get $H) (i32.const 1)))))
    (v128.store (i32.const 288) (f64x2.splat (f64.convert_i32_s (local.get $row))))
    (v128.store (i32.const 304) (f64x2.splat (local.get $s0)))
    (v128.store (i32.const 320) (f64x2.splat (local.get $s1)))
    (v128.store (i32.const 336) (f64x2.splat (local.get $s2)))
    (v128.store (i32.const 352) (f64x2.splat (local.get $o0)))
    (v128.store (i32.const 368) (f64x2.splat (local.get $o1)))
    (v128.store (i32.const 384) (f64x2.splat (local.get $o2)))
    (local.set $A (v128.load (i32.const 256)))
    (local.set $HI (v128.load (i32.const 272)))
    (local.set $ROWF (v128.load (i32.const 288)))
    (local.set $S0 (v128.load (i32.const 304)))
    (local.set $S1 (v128.load (i32.const 320)))
    (local.set $S2 (v128.load (i32.const 336)))
    (local.set $O0 (v128.load (i32.const 352)))
    (local.set $O1 (v128.load (i32.const 368)))
    (local.set $O2 (v128.load (i32.const 384)))
    (local.set $M0 (v128.load (i32.const 0)))
    (local.set $M1 (v128.load (i32.const 16)))
    (local.set $M2 (v128.load (i32.const 32)))
    (local.set $M3 (v128.load (i32.const 48)))
    (local.set $M4 (v128.load (i32.const 64)))
    (local.set $M5 (v128.load (i32.const 80)))
    (local.set $KEEP (v128.load (i32.const 96)))
    (local.set $MAGB (v128.load (i32.const 112)))
    (local.set $MAG (v128.load (i32.const 128)))
    (local.set $ONE (v128.load (i32.const 144)))
    (local.set $THREE (v128.load (i32.const 160)))
    (local.set $ZERO (v128.load (i32.const 176)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $v) (local.get $outH)))
        (local.set $P
          (call $rowStart (local.get $v) (local.get $a) (local.get $b) (local.get $c) (local.get $d) (local.get $e)
            (local.get $f)))
        (local.set $u (i32.const 0))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_s (i32.add (local.get $u) (i32.const 1)) (local.get $outW)))
            (local.set $P1 (f64x2.add (local.get $P) (local.get $A)))
            (if (i64x2.all_true
                    ;; both (sx, sy) of the pair in the fast-path region [0, W − 2) × [0, H − 1)?
                    (v128.and
                      (v128.and (f64x2.ge (local.get $P) (local.get $ZERO)) (f64x2.lt (local.get $P) (local.get $HI)))
                      (v128.and (f64x2.ge (local.get $P1) (local.get $ZERO)) (f64x2.lt (local.get $P1) (local.get $HI)))))
              (then
                ;; a run of pairs inside: no calls in this loop, so V8 keeps its constants in registers
                (loop $fast
                  ;; lanes: pixel u, pixel u + 1
                  (local.set $X (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $P) (local.get $P1)))
                  (local.set $Y (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $P) (local.get $P1)))
                  (local.set $TX (f64x2.trunc (local.get $X)))
                  (local.set $TY (f64x2.trunc (local.get $Y)))
                  (local.set $FX (f64x2.sub (local.get $X) (local.get $TX)))
                  (local.set $FY (f64x2.sub (local.get $Y) (local.get $TY)))
                  (local.set $GX (f64x2.sub (local.get $ONE) (local.get $FX)))
                  (local.set $GY (f64x2.sub (local.get $ONE) (local.get $FY)))
                  (local.set $W00 (f64x2.mul (local.get $GX) (local.get $GY)))
                  (local.set $W10 (f64x2.mul (local.get $FX) (local.get $GY)))
                  (local.set $W01 (f64x2.mul (local.get $GX) (local.get $FY)))
                  (local.set $W11 (f64x2.mul (local.get $FX) (local.get $FY)))
                  ;; byte offsets y0·row + x0·3, exact in f64; + 2^52 puts them in the low 32 bits of each lane
                  (local.set $TX
                    (f64x2.add
                      (f64x2.add (f64x2.mul (local.get $TY) (local.get $ROWF)) (f64x2.mul (local.get $TX) (local.get $THREE)))
                      (local.get $MAG)))
                  (local.set $i0 (i32.add (local.get $src) (i32x4.extract_lane 0 (local.get $TX))))
                  (local.set $i1 (i32.add (local.get $src) (i32x4.extract_lane 2 (local.get $TX))))
                  ;; bytes 0–7: R G B R G B · · of pixel u's corners (x0, x0 + 1) on a source row, bytes 8–15 pixel u + 1's; the
                  ;; unused bytes 6, 7, 14, 15 are then set to 0x30 0x43, the top of 2^52's bits, for the swizzles to pick up
                  (local.set $Q0
                    (v128.or (local.get $MAGB)
                      (v128.and (local.get $KEEP) (v128.load64_lane 1 (local.get $i1) (v128.load64_zero (local.get $i0))))))
                  (local.set $Q1
                    (v128.or (local.get $MAGB)
                      (v128.and (local.get $KEEP)
                        (v128.load64_lane 1 (i32.add (local.get $i1) (local.get $row))
                          (v128.load64_zero (i32.add (local.get $i0) (local.get $row)))))))
                  (local.set $R
                    (f64x2.add
                      (f64x2.add
                        (f64x2.add
                          (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q0) (local.get $M0)) (local.get $MAG)) (local.get $W00))
                          (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q0) (local.get $M3)) (local.get $MAG)) (local.get $W10)))
                        (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q1) (local.get $M0)) (local.get $MAG)) (local.get $W01)))
                      (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q1) (local.get $M3)) (local.get $MAG)) (local.get $W11))))
                  (local.set $G
                    (f64x2.add
                      (f64x2.add
                        (f64x2.add
                          (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q0) (local.get $M1)) (local.get $MAG)) (local.get $W00))
                          (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q0) (local.get $M4)) (local.get $MAG)) (local.get $W10)))
                        (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q1) (local.get $M1)) (local.get $MAG)) (local.get $W01)))
                      (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q1) (local.get $M4)) (local.get $MAG)) (local.get $W11))))
                  (local.set $B
                    (f64x2.add
                      (f64x2.add
                        (f64x2.add
                          (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q0) (local.get $M2)) (local.get $MAG)) (local.get $W00))
                          (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q0) (local.get $M5)) (local.get $MAG)) (local.get $W10)))
                        (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q1) (local.get $M2)) (local.get $MAG)) (local.get $W01)))
                      (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q1) (local.get $M5)) (local.get $MAG)) (local.get $W11))))
                  ;; ·s + o, to f32: (c_u, c_u+1, 0, 0) per channel
                  (local.set $R (f32x4.demote_f64x2_zero (f64x2.add (f64x2.mul (local.get $R) (local.get $S0)) (local.get $O0))))
                  (local.set $G (f32x4.demote_f64x2_zero (f64x2.add (f64x2.mul (local.get $G) (local.get $S1)) (local.get $O1))))
                  (local.set $B (f32x4.demote_f64x2_zero (f64x2.add (f64x2.mul (local.get $B) (local.get $S2)) (local.get $O2))))
                  ;; (r_u, r_u+1, g_u, g_u+1) → store r_u g_u b_u r_u+1, then g_u+1 b_u+1
                  (local.set $RG (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $R) (local.get $G)))
                  (v128.store (local.get $out)
                    (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 4 5 6 7 (local.get $RG) (local.get $B)))
                  (v128.store64_lane offset=16 0 (local.get $out)
                    (i8x16.shuffle 12 13 14 15 20 21 22 23 0 1 2 3 4 5 6 7 (local.get $RG) (local.get $B)))
                  (local.set $P (f64x2.add (local.get $P1) (local.get $A)))
                  (local.set $u (i32.add (local.get $u) (i32.const 2)))
                  (local.set $out (i32.add (local.get $out) (i32.const 24)))
                  (br_if $pairsDone (i32.ge_s (i32.add (local.get $u) (i32.const 1)) (local.get $outW)))
                  (local.set $P1 (f64x2.add (local.get $P) (local.get $A)))
                  (br_if $fast (i64x2.all_true
                    ;; both (sx, sy) of the pair in the fast-path region [0, W − 2) × [0, H − 1)?
                    (v128.and
                      (v128.and (f64x2.ge (local.get $P) (local.get $ZERO)) (f64x2.lt (local.get $P) (local.get $HI)))
                      (v128.and (f64x2.ge (local.get $P1) (local.get $ZERO)) (f64x2.lt (local.get $P1) (local.get $HI)))))))))
            ;; (P, P1): a pair with a pixel off the fast-path region, one pixel at a time
            (call $rgb_px (local.get $src) (local.get $W) (local.get $H) (local.get $out)
              (f64x2.extract_lane 0 (local.get $P)) (f64x2.extract_lane 1 (local.get $P))
              (local.get $s0) (local.get $s1) (local.get $s2) (local.get $o0) (local.get $o1) (local.get $o2) (local.get $border))
            (call $rgb_px (local.get $src) (local.get $W) (local.get $H) (i32.add (local.get $out) (i32.const 12))
              (f64x2.extract_lane 0 (local.get $P1)) (f64x2.extract_lane 1 (local.get $P1))
              (local.get $s0) (local.get $s1) (local.get $s2) (local.get $o0) (local.get $o1) (local.get $o2) (local.get $border))
            (local.set $P (f64x2.add (local.get $P1) (local.get $A)))
            (local.set $u (i32.add (local.get $u) (i32.const 2)))
            (local.set $out (i32.add (local.get $out) (i32.const 24)))
            (br $pairs)))
        ;; odd width: the last pixel of the row
        (if (i32.lt_s (local.get $u) (local.get $outW))
          (then
            (call $rgb_px (local.get $src) (local.get $W) (local.get $H) (local.get $out)
              (f64x2.extract_lane 0 (local.get $P)) (f64x2.extract_lane 1 (local.get $P))
              (local.get $s0) (local.get $s1) (local.get $s2) (local.get $o0) (local.get $o1) (local.get $o2) (local.get $border))
            (local.set $out (i32.add (local.get $out) (i32.const 12)))))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $rows))))

  (func (export "warp_grey") (param $src i32) (param $W i32) (param $H i32) (param $out i32) (param $outW i32)
    (param $outH i32) (param $a f64) (param $b f64) (param $c f64) (param $d f64) (param $e f64) (param $f f64)
    (param $wr f64) (param $wg f64) (param $wb f64) (param $offset f64) (param $border f64)
    (local $v i32) (local $u i32) (local $row i32) (local $i0 i32) (local $i1 i32)
    (local $P v128) (local $P1 v128) (local $A v128) (local $HI v128) (local $ROWF v128)
    (local $X v128) (local $Y v128) (local $TX v128) (local $TY v128)
    (local $FX v128) (local $FY v128) (local $GX v128) (local $GY v128)
    (local $W00 v128) (local $W10 v128) (local $W01 v128) (local $W11 v128)
    (local $Q0 v128) (local $Q1 v128) (local $R v128) (local $G v128) (local $B v128)
    (local $M0 v128) (local $M1 v128) (local $M2 v128) (local $M3 v128) (local $M4 v128) (local $M5 v128)
    (local $KEEP v128) (local $MAGB v128) (local $MAG v128) (local $ONE v128) (local $THREE v128) (local $ZERO v128)
    (local $WR v128) (local $WG v128) (local $WB v128) (local $OFF v128)
    (local.set $row (i32.mul (local.get $W) (i32.const 3)))
    (v128.store (i32.const 256) (f64x2.replace_lane 1 (f64x2.splat (local.get $a)) (local.get $d)))
    (v128.store (i32.const 272)
      (f64x2.replace_lane 1
        (f64x2.splat (f64.convert_i32_s (i32.sub (local.get $W) (i32.const 2))))
        (f64.convert_i32_s (i32.sub (local.get $H) (i32.const 1)))))
    (v128.store (i32.const 288) (f64x2.splat (f64.convert_i32_s (local.get $row))))
    (v128.store (i32.const 304) (f64x2.splat (local.get $wr)))
    (v128.store (i32.const 320) (f64x2.splat (local.get $wg)))
    (v128.store (i32.const 336) (f64x2.splat (local.get $wb)))
    (v128.store (i32.const 352) (f64x2.splat (local.get $offset)))
    (local.set $A (v128.load (i32.const 256)))
    (local.set $HI (v128.load (i32.const 272)))
    (local.set $ROWF (v128.load (i32.const 288)))
    (local.set $WR (v128.load (i32.const 304)))
    (local.set $WG (v128.load (i32.const 320)))
    (local.set $WB (v128.load (i32.const 336)))
    (local.set $OFF (v128.load (i32.const 352)))
    (local.set $M0 (v128.load (i32.const 0)))
    (local.set $M1 (v128.load (i32.const 16)))
    (local.set $M2 (v128.load (i32.const 32)))
    (local.set $M3 (v128.load (i32.const 48)))
    (local.set $M4 (v128.load (i32.const 64)))
    (local.set $M5 (v128.load (i32.const 80)))
    (local.set $KEEP (v128.load (i32.const 96)))
    (local.set $MAGB (v128.load (i32.const 112)))
    (local.set $MAG (v128.load (i32.const 128)))
    (local.set $ONE (v128.load (i32.const 144)))
    (local.set $THREE (v128.load (i32.const 160)))
    (local.set $ZERO (v128.load (i32.const 176)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $v) (local.get $outH)))
        (local.set $P
          (call $rowStart (local.get $v) (local.get $a) (local.get $b) (local.get $c) (local.get $d) (local.get $e)
            (local.get $f)))
        (local.set $u (i32.const 0))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_s (i32.add (local.get $u) (i32.const 1)) (local.get $outW)))
            (local.set $P1 (f64x2.add (local.get $P) (local.get $A)))
            (if (i64x2.all_true
                    ;; both (sx, sy) of the pair in the fast-path region [0, W − 2) × [0, H − 1)?
                    (v128.and
                      (v128.and (f64x2.ge (local.get $P) (local.get $ZERO)) (f64x2.lt (local.get $P) (local.get $HI)))
                      (v128.and (f64x2.ge (local.get $P1) (local.get $ZERO)) (f64x2.lt (local.get $P1) (local.get $HI)))))
              (then
                ;; a run of pairs inside: no calls in this loop, so V8 keeps its constants in registers
                (loop $fast
                  ;; lanes: pixel u, pixel u + 1
                  (local.set $X (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $P) (local.get $P1)))
                  (local.set $Y (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $P) (local.get $P1)))
                  (local.set $TX (f64x2.trunc (local.get $X)))
                  (local.set $TY (f64x2.trunc (local.get $Y)))
                  (local.set $FX (f64x2.sub (local.get $X) (local.get $TX)))
                  (local.set $FY (f64x2.sub (local.get $Y) (local.get $TY)))
                  (local.set $GX (f64x2.sub (local.get $ONE) (local.get $FX)))
                  (local.set $GY (f64x2.sub (local.get $ONE) (local.get $FY)))
                  (local.set $W00 (f64x2.mul (local.get $GX) (local.get $GY)))
                  (local.set $W10 (f64x2.mul (local.get $FX) (local.get $GY)))
                  (local.set $W01 (f64x2.mul (local.get $GX) (local.get $FY)))
                  (local.set $W11 (f64x2.mul (local.get $FX) (local.get $FY)))
                  ;; byte offsets y0·row + x0·3, exact in f64; + 2^52 puts them in the low 32 bits of each lane
                  (local.set $TX
                    (f64x2.add
                      (f64x2.add (f64x2.mul (local.get $TY) (local.get $ROWF)) (f64x2.mul (local.get $TX) (local.get $THREE)))
                      (local.get $MAG)))
                  (local.set $i0 (i32.add (local.get $src) (i32x4.extract_lane 0 (local.get $TX))))
                  (local.set $i1 (i32.add (local.get $src) (i32x4.extract_lane 2 (local.get $TX))))
                  ;; bytes 0–7: R G B R G B · · of pixel u's corners (x0, x0 + 1) on a source row, bytes 8–15 pixel u + 1's; the
                  ;; unused bytes 6, 7, 14, 15 are then set to 0x30 0x43, the top of 2^52's bits, for the swizzles to pick up
                  (local.set $Q0
                    (v128.or (local.get $MAGB)
                      (v128.and (local.get $KEEP) (v128.load64_lane 1 (local.get $i1) (v128.load64_zero (local.get $i0))))))
                  (local.set $Q1
                    (v128.or (local.get $MAGB)
                      (v128.and (local.get $KEEP)
                        (v128.load64_lane 1 (i32.add (local.get $i1) (local.get $row))
                          (v128.load64_zero (i32.add (local.get $i0) (local.get $row)))))))
                  (local.set $R
                    (f64x2.add
                      (f64x2.add
                        (f64x2.add
                          (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q0) (local.get $M0)) (local.get $MAG)) (local.get $W00))
                          (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q0) (local.get $M3)) (local.get $MAG)) (local.get $W10)))
                        (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q1) (local.get $M0)) (local.get $MAG)) (local.get $W01)))
                      (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q1) (local.get $M3)) (local.get $MAG)) (local.get $W11))))
                  (local.set $G
                    (f64x2.add
                      (f64x2.add
                        (f64x2.add
                          (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q0) (local.get $M1)) (local.get $MAG)) (local.get $W00))
                          (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q0) (local.get $M4)) (local.get $MAG)) (local.get $W10)))
                        (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q1) (local.get $M1)) (local.get $MAG)) (local.get $W01)))
                      (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q1) (local.get $M4)) (local.get $MAG)) (local.get $W11))))
                  (local.set $B
                    (f64x2.add
                      (f64x2.add
                        (f64x2.add
                          (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q0) (local.get $M2)) (local.get $MAG)) (local.get $W00))
                          (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q0) (local.get $M5)) (local.get $MAG)) (local.get $W10)))
                        (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q1) (local.get $M2)) (local.get $MAG)) (local.get $W01)))
                      (f64x2.mul (f64x2.sub (i8x16.swizzle (local.get $Q1) (local.get $M5)) (local.get $MAG)) (local.get $W11))))
                  ;; r·wr + g·wg + b·wb + offset → (grey_u, grey_u+1)
                  (v128.store64_lane 0 (local.get $out)
                    (f32x4.demote_f64x2_zero
                      (f64x2.add
                        (f64x2.add
                          (f64x2.add (f64x2.mul (local.get $R) (local.get $WR)) (f64x2.mul (local.get $G) (local.get $WG)))
                          (f64x2.mul (local.get $B) (local.get $WB)))
                        (local.get $OFF))))
                  (local.set $P (f64x2.add (local.get $P1) (local.get $A)))
                  (local.set $u (i32.add (local.get $u) (i32.const 2)))
                  (local.set $out (i32.add (local.get $out) (i32.const 8)))
                  (br_if $pairsDone (i32.ge_s (i32.add (local.get $u) (i32.const 1)) (local.get $outW)))
                  (local.set $P1 (f64x2.add (local.get $P) (local.get $A)))
                  (br_if $fast (i64x2.all_true
                    ;; both (sx, sy) of the pair in the fast-path region [0, W − 2) × [0, H − 1)?
                    (v128.and
                      (v128.and (f64x2.ge (local.get $P) (local.get $ZERO)) (f64x2.lt (local.get $P) (local.get $HI)))
                      (v128.and (f64x2.ge (local.get $P1) (local.get $ZERO)) (f64x2.lt (local.get $P1) (local.get $HI)))))))))
            ;; (P, P1): a pair with a pixel off the fast-path region, one pixel at a time
            (call $grey_px (local.get $src) (local.get $W) (local.get $H) (local.get $out)
              (f64x2.extract_lane 0 (local.get $P)) (f64x2.extract_lane 1 (local.get $P))
              (local.get $wr) (local.get $wg) (local.get $wb) (local.get $offset) (local.get $border))
            (call $grey_px (local.get $src) (local.get $W) (local.get $H) (i32.add (local.get $out) (i32.const 4))
              (f64x2.extract_lane 0 (local.get $P1)) (f64x2.extract_lane 1 (local.get $P1))
              (local.get $wr) (local.get $wg) (local.get $wb) (local.get $offset) (local.get $border))
            (local.set $P (f64x2.add (local.get $P1) (local.get $A)))
            (local.set $u (i32.add (local.get $u) (i32.const 2)))
            (local.set $out (i32.add (local.get $out) (i32.const 8)))
            (br $pairs)))
        ;; odd width: the last pixel of the row
        (if (i32.lt_s (local.get $u) (local.get $outW))
          (then
            (call $grey_px (local.get $src) (local.get $W) (local.get $H) (local.get $out)
              (f64x2.extract_lane 0 (local.get $P)) (f64x2.extract_lane 1 (local.get $P))
              (local.get $wr) (local.get $wg) (local.get $wb) (local.get $offset) (local.get $border))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $rows))))
)
