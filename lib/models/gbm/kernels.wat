;; The gbm kernels in WebAssembly, over arrays that hist-kernel.ts lays out in this memory.
;;
;; build16 / build32: the gradient histogram of lib/models/gbm/histogram.ts, with 128-bit SIMD:
;; for each row r of index[start .. end), the pair (grad[r], hess[r]) is added as one f64x2 to the
;; pair of doubles at each of r's slots (row-major, `cols` per row; a slot is the index of the
;; pair's first double in `hist`). Same rows, same order, same double additions as the JavaScript
;; loop, so the sums are bit-identical; one load, one add and one store per feature instead of two
;; each (0.5 against 1.7 ns per row and feature measured). Pointers are byte offsets into the
;; memory. `build16` reads 16-bit slots, `build32` 32-bit ones. The derivatives a fit builds from
;; are quantised (gbm/quantise.ts): every sum is exact, so the rows of a node may be built in parts
;; (the threads of a fit's team, each a range of the rows into a histogram of its own) and the parts
;; added in any order, with the same bits.
;;
;; The memory is imported and shared: the threads of a team instantiate this module on one memory.
;;
;; buildGathered: the same build for a node of few rows, from its rows copied together first.
;;
;; bounds, quantise: a round's derivatives quantised (gbm/quantise.ts).
;;
;; sums, addLeaf: a node's derivative sums and a leaf's value into its rows' margins (grow.ts).
;;
;; walkAdd: prediction's tree walk (gbm/walk-kernel.ts), below.
;;
;; expf, log, logistic, logisticLoss: the binary log-loss objective (objective-kernel.ts), in
;; objective-kernels.wat, included at the end.
;;
;; partition: partitionRows of lib/models/gbm/partition.ts (stable, branch-free, the rows that go
;; left first; returns where the right ones begin): 1.6 against 3.3 ns per row measured.
;; Regenerate kernels-wasm.ts after editing either file: npm run build:wasm
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func $build16 (export "build16")
    (param $slots i32) (param $cols i32) (param $index i32) (param $start i32) (param $end i32)
    (param $grad i32) (param $hess i32) (param $hist i32)
    (local $i i32) (local $r i32) (local $p i32) (local $stop i32) (local $stop4 i32) (local $v v128) (local $a i32)
    (local.set $i (local.get $start))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $r (i32.load (i32.add (local.get $index) (i32.shl (local.get $i) (i32.const 2)))))
        ;; v = (grad[r], hess[r]) as two doubles
        (local.set $v
          (f64x2.replace_lane 1
            (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $grad) (i32.shl (local.get $r) (i32.const 2))))))
            (f64.promote_f32 (f32.load (i32.add (local.get $hess) (i32.shl (local.get $r) (i32.const 2)))))))
        ;; p .. stop: row r's slots; stop4: the end of its whole blocks of four
        (local.set $p (i32.add (local.get $slots) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 1))))
        (local.set $stop (i32.add (local.get $p) (i32.shl (local.get $cols) (i32.const 1))))
        (local.set $stop4 (i32.add (local.get $p) (i32.shl (i32.shr_u (local.get $cols) (i32.const 2)) (i32.const 3))))
        (block $d4 (loop $f4
          (br_if $d4 (i32.ge_u (local.get $p) (local.get $stop4)))
          (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load16_u offset=0 (local.get $p)) (i32.const 3))))
          (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $v)))
          (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load16_u offset=2 (local.get $p)) (i32.const 3))))
          (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $v)))
          (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load16_u offset=4 (local.get $p)) (i32.const 3))))
          (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $v)))
          (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load16_u offset=6 (local.get $p)) (i32.const 3))))
          (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $v)))
          (local.set $p (i32.add (local.get $p) (i32.const 8)))
          (br $f4)))
        (block $d1 (loop $f1
          (br_if $d1 (i32.ge_u (local.get $p) (local.get $stop)))
          (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load16_u (local.get $p)) (i32.const 3))))
          (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $v)))
          (local.set $p (i32.add (local.get $p) (i32.const 2)))
          (br $f1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))
  (func $build32 (export "build32")
    (param $slots i32) (param $cols i32) (param $index i32) (param $start i32) (param $end i32)
    (param $grad i32) (param $hess i32) (param $hist i32)
    (local $i i32) (local $r i32) (local $p i32) (local $stop i32) (local $stop4 i32) (local $v v128) (local $a i32)
    (local.set $i (local.get $start))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $r (i32.load (i32.add (local.get $index) (i32.shl (local.get $i) (i32.const 2)))))
        ;; v = (grad[r], hess[r]) as two doubles
        (local.set $v
          (f64x2.replace_lane 1
            (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $grad) (i32.shl (local.get $r) (i32.const 2))))))
            (f64.promote_f32 (f32.load (i32.add (local.get $hess) (i32.shl (local.get $r) (i32.const 2)))))))
        ;; p .. stop: row r's slots; stop4: the end of its whole blocks of four
        (local.set $p (i32.add (local.get $slots) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
        (local.set $stop (i32.add (local.get $p) (i32.shl (local.get $cols) (i32.const 2))))
        (local.set $stop4 (i32.add (local.get $p) (i32.shl (i32.shr_u (local.get $cols) (i32.const 2)) (i32.const 4))))
        (block $d4 (loop $f4
          (br_if $d4 (i32.ge_u (local.get $p) (local.get $stop4)))
          (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load offset=0 (local.get $p)) (i32.const 3))))
          (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $v)))
          (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load offset=4 (local.get $p)) (i32.const 3))))
          (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $v)))
          (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load offset=8 (local.get $p)) (i32.const 3))))
          (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $v)))
          (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load offset=12 (local.get $p)) (i32.const 3))))
          (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $v)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $f4)))
        (block $d1 (loop $f1
          (br_if $d1 (i32.ge_u (local.get $p) (local.get $stop)))
          (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load (local.get $p)) (i32.const 3))))
          (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $v)))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br $f1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))
;; buildGathered: build16 / build32 (wide) of rows index[start .. end) that lie far apart in the
  ;; slots (a deep node's): 256 rows at a time, their slots, grad and hess are first copied into
  ;; `buf` (a loop of plain loads and stores, so many of the rows' cache misses are in flight at
  ;; once, where the histogram loop has one row's work between them), then built from there in
  ;; order. The same rows in the same order: the same sums. buf holds 3,072 bytes (an index 0..255,
  ;; then the chunk's grad and hess) and then 256 rows of slots and 16 bytes more.
  (func (export "buildGathered")
    (param $wide i32) (param $slots i32) (param $cols i32) (param $index i32) (param $start i32) (param $end i32)
    (param $grad i32) (param $hess i32) (param $hist i32) (param $buf i32)
    (local $rb i32) (local $c i32) (local $ce i32) (local $i i32) (local $j i32) (local $r i32) (local $src i32) (local $dst i32) (local $k i32)
    (local.set $rb (i32.shl (local.get $cols) (select (i32.const 2) (i32.const 1) (local.get $wide))))
    (block $id (loop $idl
      (br_if $id (i32.ge_u (local.get $j) (i32.const 256)))
      (i32.store (i32.add (local.get $buf) (i32.shl (local.get $j) (i32.const 2))) (local.get $j))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $idl)))
    (local.set $c (local.get $start))
    (block $chunks (loop $chunk
      (br_if $chunks (i32.ge_u (local.get $c) (local.get $end)))
      (local.set $ce (select (i32.add (local.get $c) (i32.const 256)) (local.get $end) (i32.lt_u (i32.add (local.get $c) (i32.const 256)) (local.get $end))))
      (local.set $i (local.get $c))
      (local.set $j (i32.const 0))
      (local.set $dst (i32.add (local.get $buf) (i32.const 3072)))
      (block $g (loop $gl
        (br_if $g (i32.ge_u (local.get $i) (local.get $ce)))
        (local.set $r (i32.load (i32.add (local.get $index) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $src (i32.add (local.get $slots) (i32.mul (local.get $r) (local.get $rb))))
        ;; 16 bytes at a time (the last step may copy a few bytes past the row: the next row overwrites them)
        (local.set $k (i32.const 0))
        (block $cp (loop $cpl
          (br_if $cp (i32.ge_u (local.get $k) (local.get $rb)))
          (v128.store (i32.add (local.get $dst) (local.get $k)) (v128.load (i32.add (local.get $src) (local.get $k))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $cpl)))
        (f32.store offset=1024 (i32.add (local.get $buf) (i32.shl (local.get $j) (i32.const 2)))
          (f32.load (i32.add (local.get $grad) (i32.shl (local.get $r) (i32.const 2)))))
        (f32.store offset=2048 (i32.add (local.get $buf) (i32.shl (local.get $j) (i32.const 2)))
          (f32.load (i32.add (local.get $hess) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $dst (i32.add (local.get $dst) (local.get $rb)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $gl)))
      (if (local.get $wide)
        (then (call $build32 (i32.add (local.get $buf) (i32.const 3072)) (local.get $cols) (local.get $buf) (i32.const 0) (local.get $j)
          (i32.add (local.get $buf) (i32.const 1024)) (i32.add (local.get $buf) (i32.const 2048)) (local.get $hist)))
        (else (call $build16 (i32.add (local.get $buf) (i32.const 3072)) (local.get $cols) (local.get $buf) (i32.const 0) (local.get $j)
          (i32.add (local.get $buf) (i32.const 1024)) (i32.add (local.get $buf) (i32.const 2048)) (local.get $hist))))
      (local.set $c (local.get $ce))
      (br $chunk))))
  (func (export "partition")
    (param $column i32) (param $table i32) (param $index i32) (param $start i32) (param $end i32) (param $scratch i32)
    (result i32)
    (local $i i32) (local $l i32) (local $k i32) (local $r i32) (local $left i32)
    (local.set $i (local.get $start))
    (local.set $l (local.get $start))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $r (i32.load (i32.add (local.get $index) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $left (i32.load8_u (i32.add (local.get $table) (i32.load8_u (i32.add (local.get $column) (local.get $r))))))
        ;; l <= i: that entry was read already
        (i32.store (i32.add (local.get $index) (i32.shl (local.get $l) (i32.const 2))) (local.get $r))
        (i32.store (i32.add (local.get $scratch) (i32.shl (local.get $k) (i32.const 2))) (local.get $r))
        (local.set $l (i32.add (local.get $l) (local.get $left)))
        (local.set $k (i32.add (local.get $k) (i32.sub (i32.const 1) (local.get $left))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
    ;; the right rows, in order, after the left ones
    (memory.copy
      (i32.add (local.get $index) (i32.shl (local.get $l) (i32.const 2)))
      (local.get $scratch)
      (i32.shl (local.get $k) (i32.const 2)))
    (local.get $l))
;; sums: Σ grad[r] and Σ hess[r] over r = index[i], i in 0 .. m, as doubles in that order (a tree's
  ;; root: grow.ts's sumRows), into the two doubles at out.
  (func (export "sums") (param $index i32) (param $m i32) (param $grad i32) (param $hess i32) (param $out i32)
    (local $i i32) (local $r i32) (local $acc v128)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $r (i32.shl (i32.load (i32.add (local.get $index) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2)))
      (local.set $acc (f64x2.add (local.get $acc)
        (f64x2.replace_lane 1
          (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $grad) (local.get $r)))))
          (f64.promote_f32 (f32.load (i32.add (local.get $hess) (local.get $r)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows)))
    (v128.store (local.get $out) (local.get $acc)))
;; addLeaf: out[index[i]] += v for i in start .. end (a leaf's value into its rows' margins:
  ;; grow.ts's addLeaf).
  (func (export "addLeaf") (param $out i32) (param $index i32) (param $start i32) (param $end i32) (param $v f64)
    (local $i i32) (local $a i32)
    (local.set $i (local.get $start))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $a (i32.add (local.get $out) (i32.shl (i32.load (i32.add (local.get $index) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 3))))
      (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (local.get $v)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows))))
  ;; subtract: out[j] = a[j] − b[j] for j in 0 .. n doubles (histogram.ts's subtractHistogram: the
  ;; larger child's histogram from its parent's and its sibling's), two per f64x2.
  (func (export "subtract") (param $a i32) (param $b i32) (param $out i32) (param $n i32)
    (local $j i32) (local $o i32)
    (block $done (loop $pairs
      (br_if $done (i32.ge_u (i32.add (local.get $j) (i32.const 1)) (local.get $n)))
      (local.set $o (i32.shl (local.get $j) (i32.const 3)))
      (v128.store (i32.add (local.get $out) (local.get $o))
        (f64x2.sub (v128.load (i32.add (local.get $a) (local.get $o))) (v128.load (i32.add (local.get $b) (local.get $o)))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $pairs)))
    (if (i32.lt_u (local.get $j) (local.get $n))
      (then
        (local.set $o (i32.shl (local.get $j) (i32.const 3)))
        (f64.store (i32.add (local.get $out) (local.get $o))
          (f64.sub (f64.load (i32.add (local.get $a) (local.get $o))) (f64.load (i32.add (local.get $b) (local.get $o))))))))
;; bounds, quantise: gbm/quantise.ts's quantisation of a round's derivatives. bounds writes the
  ;; largest |g[i]| and the largest h[i] for i in start .. end to out (two doubles); quantise rounds
  ;; p[start .. end) in place to clamp(nearest(v · 2^shift), lo, hi) · 2^−shift (nearest: half to
  ;; even, as quantise.ts's loop). Both exact, two rows at a time.
  (func (export "bounds") (param $g i32) (param $h i32) (param $start i32) (param $end i32) (param $out i32)
    (local $i i32) (local $gm v128) (local $hm v128) (local $a f32) (local $b f32)
    (local.set $i (local.get $start))
    (block $done (loop $quads
      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $end)))
      (local.set $gm (f32x4.pmax (local.get $gm) (f32x4.abs (v128.load (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 2)))))))
      (local.set $hm (f32x4.pmax (local.get $hm) (v128.load (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $quads)))
    (local.set $a (f32.max (f32.max (f32x4.extract_lane 0 (local.get $gm)) (f32x4.extract_lane 1 (local.get $gm)))
                           (f32.max (f32x4.extract_lane 2 (local.get $gm)) (f32x4.extract_lane 3 (local.get $gm)))))
    (local.set $b (f32.max (f32.max (f32x4.extract_lane 0 (local.get $hm)) (f32x4.extract_lane 1 (local.get $hm)))
                           (f32.max (f32x4.extract_lane 2 (local.get $hm)) (f32x4.extract_lane 3 (local.get $hm)))))
    (block $tail (loop $rest
      (br_if $tail (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $a (f32.max (local.get $a) (f32.abs (f32.load (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 2)))))))
      (local.set $b (f32.max (local.get $b) (f32.load (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rest)))
    (f64.store (local.get $out) (f64.promote_f32 (local.get $a)))
    (f64.store offset=8 (local.get $out) (f64.promote_f32 (local.get $b))))
  (func (export "quantise") (param $p i32) (param $start i32) (param $end i32) (param $shift i32) (param $lo i32) (param $hi i32)
    (local $i i32) (local $at i32) (local $scale v128) (local $step v128) (local $vlo v128) (local $vhi v128) (local $v v128)
    ;; 2^shift and 2^-shift from their exponent bits (|shift| <= 60: exact)
    (local.set $scale (f64x2.splat (f64.reinterpret_i64 (i64.shl (i64.extend_i32_s (i32.add (i32.const 1023) (local.get $shift))) (i64.const 52)))))
    (local.set $step (f64x2.splat (f64.reinterpret_i64 (i64.shl (i64.extend_i32_s (i32.sub (i32.const 1023) (local.get $shift))) (i64.const 52)))))
    (local.set $vlo (f64x2.splat (f64.convert_i32_s (local.get $lo))))
    (local.set $vhi (f64x2.splat (f64.convert_i32_s (local.get $hi))))
    (local.set $i (local.get $start))
    (block $done (loop $pairs
      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $end)))
      (local.set $at (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $v (f64x2.nearest (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $at))) (local.get $scale))))
      (local.set $v (f64x2.pmin (local.get $vhi) (f64x2.pmax (local.get $vlo) (local.get $v))))
      (v128.store64_lane 0 (local.get $at) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $v) (local.get $step))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $pairs)))
    (if (i32.lt_u (local.get $i) (local.get $end))
      (then
        (local.set $at (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $v (f64x2.nearest (f64x2.mul (f64x2.splat (f64.promote_f32 (f32.load (local.get $at)))) (local.get $scale))))
        (local.set $v (f64x2.pmin (local.get $vhi) (f64x2.pmax (local.get $vlo) (local.get $v))))
        (f32.store (local.get $at) (f32.demote_f64 (f64x2.extract_lane 0 (f64x2.mul (local.get $v) (local.get $step))))))))
  ;; walkAdd: trees/walk.ts's walkTree and the margin update of gbm/model.ts in one: rows 0 .. n of
  ;; a fillRows buffer (Float32, `width` per row) walk the tree whose root record is `root` (16-byte
  ;; records [slot, threshold, next, leaf]; a leaf points to itself with a NaN threshold), eight in
  ;; lock step until a step moves none, and each adds its leaf's value (Float32, widened) to
  ;; acc[r * stride] (Float64). The same comparisons and the same additions in the same order as
  ;; the JavaScript walk: predictions are bit-identical.
  (func (export "walkAdd")
    (param $nodes i32) (param $root i32) (param $rows i32) (param $width i32) (param $n i32)
    (param $values i32) (param $acc i32) (param $stride i32)
    (local $r i32) (local $k i32) (local $moved i32) (local $a i32) (local $rowBytes i32) (local $p i32) (local $b i32)
    (local $n0 i32) (local $m0 i32) (local $b0 i32) (local $n1 i32) (local $m1 i32) (local $b1 i32) (local $n2 i32) (local $m2 i32) (local $b2 i32) (local $n3 i32) (local $m3 i32) (local $b3 i32) (local $n4 i32) (local $m4 i32) (local $b4 i32) (local $n5 i32) (local $m5 i32) (local $b5 i32) (local $n6 i32) (local $m6 i32) (local $b6 i32) (local $n7 i32) (local $m7 i32) (local $b7 i32)
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 2)))
    (block $groups
      (loop $group
        (br_if $groups (i32.gt_u (i32.add (local.get $r) (i32.const 8)) (local.get $n)))
        (local.set $n0 (local.get $root))
        (local.set $b0 (i32.add (local.get $rows) (i32.mul (i32.add (local.get $r) (i32.const 0)) (local.get $rowBytes))))
        (local.set $n1 (local.get $root))
        (local.set $b1 (i32.add (local.get $rows) (i32.mul (i32.add (local.get $r) (i32.const 1)) (local.get $rowBytes))))
        (local.set $n2 (local.get $root))
        (local.set $b2 (i32.add (local.get $rows) (i32.mul (i32.add (local.get $r) (i32.const 2)) (local.get $rowBytes))))
        (local.set $n3 (local.get $root))
        (local.set $b3 (i32.add (local.get $rows) (i32.mul (i32.add (local.get $r) (i32.const 3)) (local.get $rowBytes))))
        (local.set $n4 (local.get $root))
        (local.set $b4 (i32.add (local.get $rows) (i32.mul (i32.add (local.get $r) (i32.const 4)) (local.get $rowBytes))))
        (local.set $n5 (local.get $root))
        (local.set $b5 (i32.add (local.get $rows) (i32.mul (i32.add (local.get $r) (i32.const 5)) (local.get $rowBytes))))
        (local.set $n6 (local.get $root))
        (local.set $b6 (i32.add (local.get $rows) (i32.mul (i32.add (local.get $r) (i32.const 6)) (local.get $rowBytes))))
        (local.set $n7 (local.get $root))
        (local.set $b7 (i32.add (local.get $rows) (i32.mul (i32.add (local.get $r) (i32.const 7)) (local.get $rowBytes))))
        (loop $step
          (local.set $moved (i32.const 0))
          ;; lane 0
          (local.set $k (i32.add (local.get $nodes) (i32.shl (local.get $n0) (i32.const 4))))
          (local.set $m0 (select
            (i32.add (local.get $n0) (i32.const 1))
            (i32.load offset=8 (local.get $k))
            (f32.le
              (f32.load (i32.add (local.get $b0) (i32.shl (i32.load (local.get $k)) (i32.const 2))))
              (f32.load offset=4 (local.get $k)))))
          (local.set $moved (i32.or (local.get $moved) (i32.xor (local.get $m0) (local.get $n0))))
          (local.set $n0 (local.get $m0))
          ;; lane 1
          (local.set $k (i32.add (local.get $nodes) (i32.shl (local.get $n1) (i32.const 4))))
          (local.set $m1 (select
            (i32.add (local.get $n1) (i32.const 1))
            (i32.load offset=8 (local.get $k))
            (f32.le
              (f32.load (i32.add (local.get $b1) (i32.shl (i32.load (local.get $k)) (i32.const 2))))
              (f32.load offset=4 (local.get $k)))))
          (local.set $moved (i32.or (local.get $moved) (i32.xor (local.get $m1) (local.get $n1))))
          (local.set $n1 (local.get $m1))
          ;; lane 2
          (local.set $k (i32.add (local.get $nodes) (i32.shl (local.get $n2) (i32.const 4))))
          (local.set $m2 (select
            (i32.add (local.get $n2) (i32.const 1))
            (i32.load offset=8 (local.get $k))
            (f32.le
              (f32.load (i32.add (local.get $b2) (i32.shl (i32.load (local.get $k)) (i32.const 2))))
              (f32.load offset=4 (local.get $k)))))
          (local.set $moved (i32.or (local.get $moved) (i32.xor (local.get $m2) (local.get $n2))))
          (local.set $n2 (local.get $m2))
          ;; lane 3
          (local.set $k (i32.add (local.get $nodes) (i32.shl (local.get $n3) (i32.const 4))))
          (local.set $m3 (select
            (i32.add (local.get $n3) (i32.const 1))
            (i32.load offset=8 (local.get $k))
            (f32.le
              (f32.load (i32.add (local.get $b3) (i32.shl (i32.load (local.get $k)) (i32.const 2))))
              (f32.load offset=4 (local.get $k)))))
          (local.set $moved (i32.or (local.get $moved) (i32.xor (local.get $m3) (local.get $n3))))
          (local.set $n3 (local.get $m3))
          ;; lane 4
          (local.set $k (i32.add (local.get $nodes) (i32.shl (local.get $n4) (i32.const 4))))
          (local.set $m4 (select
            (i32.add (local.get $n4) (i32.const 1))
            (i32.load offset=8 (local.get $k))
            (f32.le
              (f32.load (i32.add (local.get $b4) (i32.shl (i32.load (local.get $k)) (i32.const 2))))
              (f32.load offset=4 (local.get $k)))))
          (local.set $moved (i32.or (local.get $moved) (i32.xor (local.get $m4) (local.get $n4))))
          (local.set $n4 (local.get $m4))
          ;; lane 5
          (local.set $k (i32.add (local.get $nodes) (i32.shl (local.get $n5) (i32.const 4))))
          (local.set $m5 (select
            (i32.add (local.get $n5) (i32.const 1))
            (i32.load offset=8 (local.get $k))
            (f32.le
              (f32.load (i32.add (local.get $b5) (i32.shl (i32.load (local.get $k)) (i32.const 2))))
              (f32.load offset=4 (local.get $k)))))
          (local.set $moved (i32.or (local.get $moved) (i32.xor (local.get $m5) (local.get $n5))))
          (local.set $n5 (local.get $m5))
          ;; lane 6
          (local.set $k (i32.add (local.get $nodes) (i32.shl (local.get $n6) (i32.const 4))))
          (local.set $m6 (select
            (i32.add (local.get $n6) (i32.const 1))
            (i32.load offset=8 (local.get $k))
            (f32.le
              (f32.load (i32.add (local.get $b6) (i32.shl (i32.load (local.get $k)) (i32.const 2))))
              (f32.load offset=4 (local.get $k)))))
          (local.set $moved (i32.or (local.get $moved) (i32.xor (local.get $m6) (local.get $n6))))
          (local.set $n6 (local.get $m6))
          ;; lane 7
          (local.set $k (i32.add (local.get $nodes) (i32.shl (local.get $n7) (i32.const 4))))
          (local.set $m7 (select
            (i32.add (local.get $n7) (i32.const 1))
            (i32.load offset=8 (local.get $k))
            (f32.le
              (f32.load (i32.add (local.get $b7) (i32.shl (i32.load (local.get $k)) (i32.const 2))))
              (f32.load offset=4 (local.get $k)))))
          (local.set $moved (i32.or (local.get $moved) (i32.xor (local.get $m7) (local.get $n7))))
          (local.set $n7 (local.get $m7))
          (br_if $step (local.get $moved)))
        (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (i32.add (local.get $r) (i32.const 0)) (local.get $stride)) (i32.const 3))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
          (f64.promote_f32 (f32.load (i32.add (local.get $values)
            (i32.shl (i32.load offset=12 (i32.add (local.get $nodes) (i32.shl (local.get $n0) (i32.const 4)))) (i32.const 2)))))))
        (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (i32.add (local.get $r) (i32.const 1)) (local.get $stride)) (i32.const 3))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
          (f64.promote_f32 (f32.load (i32.add (local.get $values)
            (i32.shl (i32.load offset=12 (i32.add (local.get $nodes) (i32.shl (local.get $n1) (i32.const 4)))) (i32.const 2)))))))
        (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (i32.add (local.get $r) (i32.const 2)) (local.get $stride)) (i32.const 3))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
          (f64.promote_f32 (f32.load (i32.add (local.get $values)
            (i32.shl (i32.load offset=12 (i32.add (local.get $nodes) (i32.shl (local.get $n2) (i32.const 4)))) (i32.const 2)))))))
        (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (i32.add (local.get $r) (i32.const 3)) (local.get $stride)) (i32.const 3))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
          (f64.promote_f32 (f32.load (i32.add (local.get $values)
            (i32.shl (i32.load offset=12 (i32.add (local.get $nodes) (i32.shl (local.get $n3) (i32.const 4)))) (i32.const 2)))))))
        (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (i32.add (local.get $r) (i32.const 4)) (local.get $stride)) (i32.const 3))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
          (f64.promote_f32 (f32.load (i32.add (local.get $values)
            (i32.shl (i32.load offset=12 (i32.add (local.get $nodes) (i32.shl (local.get $n4) (i32.const 4)))) (i32.const 2)))))))
        (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (i32.add (local.get $r) (i32.const 5)) (local.get $stride)) (i32.const 3))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
          (f64.promote_f32 (f32.load (i32.add (local.get $values)
            (i32.shl (i32.load offset=12 (i32.add (local.get $nodes) (i32.shl (local.get $n5) (i32.const 4)))) (i32.const 2)))))))
        (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (i32.add (local.get $r) (i32.const 6)) (local.get $stride)) (i32.const 3))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
          (f64.promote_f32 (f32.load (i32.add (local.get $values)
            (i32.shl (i32.load offset=12 (i32.add (local.get $nodes) (i32.shl (local.get $n6) (i32.const 4)))) (i32.const 2)))))))
        (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (i32.add (local.get $r) (i32.const 7)) (local.get $stride)) (i32.const 3))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
          (f64.promote_f32 (f32.load (i32.add (local.get $values)
            (i32.shl (i32.load offset=12 (i32.add (local.get $nodes) (i32.shl (local.get $n7) (i32.const 4)))) (i32.const 2)))))))
        (local.set $r (i32.add (local.get $r) (i32.const 8)))
        (br $group)))
    ;; the last rows one at a time: step until a leaf (leaf word >= 0)
    (block $tail
      (loop $row
        (br_if $tail (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $b (i32.add (local.get $rows) (i32.mul (local.get $r) (local.get $rowBytes))))
        (local.set $p (local.get $root))
        (block $leaf
          (loop $down
            (local.set $k (i32.add (local.get $nodes) (i32.shl (local.get $p) (i32.const 4))))
            (br_if $leaf (i32.ge_s (i32.load offset=12 (local.get $k)) (i32.const 0)))
            (local.set $p (select
              (i32.add (local.get $p) (i32.const 1))
              (i32.load offset=8 (local.get $k))
              (f32.le
                (f32.load (i32.add (local.get $b) (i32.shl (i32.load (local.get $k)) (i32.const 2))))
                (f32.load offset=4 (local.get $k)))))
            (br $down)))
        (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $r) (local.get $stride)) (i32.const 3))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
          (f64.promote_f32 (f32.load (i32.add (local.get $values) (i32.shl (i32.load offset=12 (local.get $k)) (i32.const 2)))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))
  )

  ;; include objective-kernels.wat
)
