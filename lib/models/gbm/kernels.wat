;; The gbm kernels in WebAssembly, over arrays that hist-kernel.ts lays out in this memory.
;;
;; build16 / build32: the gradient histogram of lib/models/gbm/histogram.ts, with 128-bit SIMD:
;; for each row r of index[start .. end), the pair (grad[r], hess[r]) is added as one f64x2 to the
;; pair of doubles at each of r's slots (row-major, `cols` per row; a slot is the index of the
;; pair's first double in `hist`). Same rows, same order, same double additions as the JavaScript
;; loop, so the sums are bit-identical; one load, one add and one store per feature instead of two
;; each (0.5 against 1.7 ns per row and feature measured). Pointers are byte offsets into the
;; memory. `build16` reads 16-bit slots, `build32` 32-bit ones.
;;
;; buildGathered: the same build for a node of few rows, from its rows copied together first.
;;
;; sums, addLeaf: a node's derivative sums and a leaf's value into its rows' margins (grow.ts).
;;
;; walkAdd: prediction's tree walk (gbm/walk-kernel.ts), below.
;;
;; expf, log, logistic, logisticLoss: the binary log-loss objective (objective-kernel.ts), at the end.
;;
;; partition: partitionRows of lib/models/gbm/partition.ts (stable, branch-free, the rows that go
;; left first; returns where the right ones begin): 1.6 against 3.3 ns per row measured.
;; Regenerate kernels-wasm.ts after editing: npm run build:wasm
(module
  (memory (export "memory") 1)
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
  ;; walkAdd: forest/walk.ts's walkTree and the margin update of gbm/model.ts in one: rows 0 .. n of
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

;; expf and log for the objectives (gbm/fastmath.ts has the same operations in JavaScript, so the
  ;; two give the same bits; the method and its constants there). expf works in single precision
  ;; (the derivatives are stored as Float32); log in double (the loss sums).
  (func $expf (export "expf") (param $x f32) (result f32)
    (local $k f32) (local $r f32) (local $p f32)
    (local.set $x (select (f32.const 80) (local.get $x) (f32.lt (f32.const 80) (local.get $x))))
    (local.set $x (select (f32.const -80) (local.get $x) (f32.lt (local.get $x) (f32.const -80))))
    (local.set $k (f32.floor (f32.add (f32.mul (local.get $x) (f32.const 1.4426950216293335)) (f32.const 0.5))))
    (local.set $r (f32.sub (f32.sub (local.get $x) (f32.mul (local.get $k) (f32.const 0.693359375))) (f32.mul (local.get $k) (f32.const -0.00021219444170128554))))
    ;; p = ((((P0·r + 0.001398199936375022)·r + 0.008333452045917511)·r + 0.04166579619050026)·r + 0.1666666567325592)·r + ½; e^r = (p·r² + r) + 1
    (local.set $p (f32.add (f32.mul (local.get $r) (f32.add (f32.mul (local.get $r) (f32.add (f32.mul (local.get $r)
      (f32.add (f32.mul (local.get $r) (f32.add (f32.mul (local.get $r) (f32.const 0.00019875691214110702)) (f32.const 0.001398199936375022))) (f32.const 0.008333452045917511)))
      (f32.const 0.04166579619050026))) (f32.const 0.1666666567325592))) (f32.const 0.5)))
    (f32.mul
      (f32.add (f32.add (f32.mul (local.get $p) (f32.mul (local.get $r) (local.get $r))) (local.get $r)) (f32.const 1))
      ;; 2^k from its bits (|k| ≤ 116: a normal float; NaN gives 1, and the NaN stays in the product)
      (f32.reinterpret_i32 (i32.shl (i32.add (i32.trunc_sat_f32_s (local.get $k)) (i32.const 127)) (i32.const 23)))))
  (func $log (export "log") (param $x f64) (result f64)
    (local $bits i64) (local $e f64) (local $m f64) (local $up i32) (local $f f64) (local $s f64) (local $z f64) (local $w f64) (local $hf f64) (local $R f64)
    (local.set $bits (i64.reinterpret_f64 (local.get $x)))
    (local.set $m (f64.reinterpret_i64 (i64.or (i64.and (local.get $bits) (i64.const 0x000fffffffffffff)) (i64.const 0x3ff0000000000000))))
    (local.set $up (f64.gt (local.get $m) (f64.const 1.4142135623730951)))
    (local.set $e (f64.convert_i64_s (i64.add (i64.sub (i64.shr_u (local.get $bits) (i64.const 52)) (i64.const 1023)) (i64.extend_i32_u (local.get $up)))))
    (local.set $m (select (f64.mul (local.get $m) (f64.const 0.5)) (local.get $m) (local.get $up)))
    (local.set $f (f64.sub (local.get $m) (f64.const 1)))
    (local.set $s (f64.div (local.get $f) (f64.add (f64.const 2) (local.get $f))))
    (local.set $z (f64.mul (local.get $s) (local.get $s)))
    (local.set $w (f64.mul (local.get $z) (local.get $z)))
    ;; R = z·(L1 + w·(L3 + w·(L5 + w·L7))) + w·(L2 + w·(L4 + w·L6))
    (local.set $R (f64.add
      (f64.mul (local.get $z) (f64.add (f64.const 0.66666666666667351) (f64.mul (local.get $w)
        (f64.add (f64.const 0.28571428743662391) (f64.mul (local.get $w)
        (f64.add (f64.const 0.18183572161618050) (f64.mul (local.get $w) (f64.const 0.14798198605116586))))))))
      (f64.mul (local.get $w) (f64.add (f64.const 0.39999999999409419) (f64.mul (local.get $w)
        (f64.add (f64.const 0.22222198432149784) (f64.mul (local.get $w) (f64.const 0.15313837699209373))))))))
    (local.set $hf (f64.mul (f64.const 0.5) (f64.mul (local.get $f) (local.get $f))))
    ;; log x = e·ln2_hi − ((hf − (s·(hf + R) + e·ln2_lo)) − f); NaN stays NaN
    (select
      (f64.sub (f64.mul (local.get $e) (f64.const 0.69314718036912382))
        (f64.sub (f64.sub (local.get $hf) (f64.add (f64.mul (local.get $s) (f64.add (local.get $hf) (local.get $R))) (f64.mul (local.get $e) (f64.const 1.9082149292705877e-10)))) (local.get $f)))
      (local.get $x)
      (f64.eq (local.get $x) (local.get $x))))
  ;; logisticLoss: Σ over rows 0 .. n of min(limit, floor(l · scale + 0.5)), l a row's log loss as
  ;; `logistic` computes it (log(1 + expf(x)), 1 + e capped at 1e15): the quantised sum a
  ;; data-parallel session reports, exact in any order (gbm/objective-kernel.ts mirrors it).
  (func (export "logisticLoss") (param $margin i32) (param $y i32) (param $n i32) (param $scale f64) (param $limit f64) (result f64)
    (local $i i32) (local $x f32) (local $a f64) (local $q f64) (local $sum f64)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (f32.demote_f64 (f64.load (i32.add (local.get $margin) (i32.shl (local.get $i) (i32.const 3))))))
      (if (f32.eq (f32.load (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))) (f32.const 1))
        (then (local.set $x (f32.neg (local.get $x)))))
      (local.set $a (f64.add (f64.promote_f32 (call $expf (local.get $x))) (f64.const 1)))
      (local.set $a (select (f64.const 1e15) (local.get $a) (f64.lt (f64.const 1e15) (local.get $a))))
      (local.set $q (f64.floor (f64.add (f64.mul (call $log (local.get $a)) (local.get $scale)) (f64.const 0.5))))
      (local.set $sum (f64.add (local.get $sum) (select (local.get $limit) (local.get $q) (f64.lt (local.get $limit) (local.get $q)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows)))
    (local.get $sum))
  ;; logistic: the binary log-loss objective's derivatives (gbm/objectives.ts) for rows 0 .. n of
  ;; margin (Float64) and y (Float32 0/1), weighted by w (Float64) when hasW; grad and hess as
  ;; Float32. Per row, in single precision: x = the margin, negated when y = 1 (so that q = 1/(1 + e^x)
  ;; is the probability of the row's label), clamped to ±80; e = expf(x); q = 1/(1 + e); t = e·q
  ;; (= 1 − q, without the cancellation); grad = ±t (− when y = 1), hess = max(q·t, 1e-16); times the
  ;; row's weight in double, rounded once. Returns the sum of the rows' losses, log(1 + e) capped at
  ;; log 1e15 (a probability clipped at 1e-15), in double, as the log of their product: the (1 + e)s
  ;; of 16 rows (at most 1e240) are multiplied in four lanes (rows 4j, 4j + 1 | 4j + 2, 4j + 3),
  ;; then (lane 0 · lane 1) · (lane 2 · lane 3) into a running product whose binary exponent is then
  ;; moved to a sum of exponents (an exact step), so one log serves every row: log(product) +
  ;; exponents · ln 2. Rows past the last four alone, after them; a NaN anywhere gives NaN.
  ;; Four rows per f32x4; the JavaScript loop does the same operations in the same order. Clamps are
  ;; pmin / pmax (`b < a ? b : a`: one instruction each, and a NaN stays NaN, so divergence shows).
  (func (export "logistic")
    (param $margin i32) (param $y i32) (param $w i32) (param $hasW i32) (param $grad i32) (param $hess i32) (param $n i32)
    (result f64)
    (local $i i32) (local $prod f64) (local $ex f64) (local $nan i32) (local $bits i64)
    (local $x v128) (local $neg v128) (local $k v128) (local $r v128) (local $p v128) (local $e v128) (local $q v128) (local $t v128)
    (local $g v128) (local $h v128) (local $pa v128) (local $pb v128)
    (local $xs f32) (local $es f32) (local $qs f32) (local $ts f32) (local $gs f32) (local $hs f32) (local $wi f64)
    (local.set $pa (v128.const f64x2 1 1))
    (local.set $pb (v128.const f64x2 1 1))
    (local.set $prod (f64.const 1))
    (block $quads (loop $quad
      (br_if $quads (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      ;; x: the four margins in single precision, negated where y = 1
      (local.set $x (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (v128.load (i32.add (local.get $margin) (i32.shl (local.get $i) (i32.const 3)))))
        (f32x4.demote_f64x2_zero (v128.load offset=16 (i32.add (local.get $margin) (i32.shl (local.get $i) (i32.const 3)))))))
      (local.set $neg (f32x4.eq (v128.load (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))) (v128.const f32x4 1 1 1 1)))
      (local.set $x (v128.xor (local.get $x) (v128.and (local.get $neg) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))
      ;; e = expf(x), lane by lane as $expf
      (local.set $x (f32x4.pmax (f32x4.pmin (local.get $x) (v128.const f32x4 80 80 80 80)) (v128.const f32x4 -80 -80 -80 -80)))
      (local.set $k (f32x4.floor (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 1.4426950216293335 1.4426950216293335 1.4426950216293335 1.4426950216293335)) (v128.const f32x4 0.5 0.5 0.5 0.5))))
      (local.set $r (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))) (f32x4.mul (local.get $k) (v128.const f32x4 -0.00021219444170128554 -0.00021219444170128554 -0.00021219444170128554 -0.00021219444170128554))))
      (local.set $p (f32x4.add (f32x4.mul (local.get $r) (f32x4.add (f32x4.mul (local.get $r) (f32x4.add (f32x4.mul (local.get $r)
        (f32x4.add (f32x4.mul (local.get $r) (f32x4.add (f32x4.mul (local.get $r) (v128.const f32x4 0.00019875691214110702 0.00019875691214110702 0.00019875691214110702 0.00019875691214110702)) (v128.const f32x4 0.001398199936375022 0.001398199936375022 0.001398199936375022 0.001398199936375022))) (v128.const f32x4 0.008333452045917511 0.008333452045917511 0.008333452045917511 0.008333452045917511)))
        (v128.const f32x4 0.04166579619050026 0.04166579619050026 0.04166579619050026 0.04166579619050026))) (v128.const f32x4 0.1666666567325592 0.1666666567325592 0.1666666567325592 0.1666666567325592))) (v128.const f32x4 0.5 0.5 0.5 0.5)))
      (local.set $e (f32x4.mul
        (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)) (v128.const f32x4 1 1 1 1))
        ;; 2^k: k + 1.5·2^23 holds k in its low mantissa bits, so its bits − (0x4B400000 − 127) are k + 127
        (i32x4.shl (i32x4.sub (f32x4.add (local.get $k) (v128.const f32x4 12582912 12582912 12582912 12582912))
          (v128.const i32x4 0x4B3FFF81 0x4B3FFF81 0x4B3FFF81 0x4B3FFF81)) (i32.const 23))))
      (local.set $q (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e))))
      (local.set $t (f32x4.mul (local.get $e) (local.get $q)))
      (local.set $g (v128.bitselect (f32x4.neg (local.get $t)) (local.get $t) (local.get $neg)))
      (local.set $h (f32x4.pmax (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 1.0000000168623835e-16 1.0000000168623835e-16 1.0000000168623835e-16 1.0000000168623835e-16)))
      (if (local.get $hasW)
        (then
          (local.set $g (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.mul (v128.load (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 3)))) (f64x2.promote_low_f32x4 (local.get $g))))
            (f32x4.demote_f64x2_zero (f64x2.mul (v128.load offset=16 (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 3))))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $g) (local.get $g)))))))
          (local.set $h (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.mul (v128.load (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 3)))) (f64x2.promote_low_f32x4 (local.get $h))))
            (f32x4.demote_f64x2_zero (f64x2.mul (v128.load offset=16 (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 3))))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $h) (local.get $h)))))))))
      (v128.store (i32.add (local.get $grad) (i32.shl (local.get $i) (i32.const 2))) (local.get $g))
      (v128.store (i32.add (local.get $hess) (i32.shl (local.get $i) (i32.const 2))) (local.get $h))
      ;; the loss: 1 + e per row, capped, into the lanes' products
      (local.set $pa (f64x2.mul (local.get $pa) (f64x2.pmin (f64x2.add (f64x2.promote_low_f32x4 (local.get $e)) (v128.const f64x2 1 1)) (v128.const f64x2 1e15 1e15))))
      (local.set $pb (f64x2.mul (local.get $pb) (f64x2.pmin (f64x2.add (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))) (v128.const f64x2 1 1)) (v128.const f64x2 1e15 1e15))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (if (i32.eqz (i32.and (local.get $i) (i32.const 15)))
        (then
          (local.set $prod (f64.mul (local.get $prod) (f64.mul
            (f64.mul (f64x2.extract_lane 0 (local.get $pa)) (f64x2.extract_lane 1 (local.get $pa)))
            (f64.mul (f64x2.extract_lane 0 (local.get $pb)) (f64x2.extract_lane 1 (local.get $pb))))))
          ;; prod = 2^E · m, m in [1, 2): E to the exponents, m kept (prod ≥ 1: a normal double)
          (local.set $nan (i32.or (local.get $nan) (f64.ne (local.get $prod) (local.get $prod))))
          (local.set $bits (i64.reinterpret_f64 (local.get $prod)))
          (local.set $ex (f64.add (local.get $ex) (f64.convert_i64_s (i64.sub (i64.shr_u (local.get $bits) (i64.const 52)) (i64.const 1023)))))
          (local.set $prod (f64.reinterpret_i64 (i64.or (i64.and (local.get $bits) (i64.const 0x000fffffffffffff)) (i64.const 0x3ff0000000000000))))
          (local.set $pa (v128.const f64x2 1 1))
          (local.set $pb (v128.const f64x2 1 1))))
      (br $quad)))
    (local.set $prod (f64.mul (local.get $prod) (f64.mul
      (f64.mul (f64x2.extract_lane 0 (local.get $pa)) (f64x2.extract_lane 1 (local.get $pa)))
      (f64.mul (f64x2.extract_lane 0 (local.get $pb)) (f64x2.extract_lane 1 (local.get $pb))))))
    ;; the last rows, one by one
    (block $rows (loop $row
      (br_if $rows (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $xs (f32.demote_f64 (f64.load (i32.add (local.get $margin) (i32.shl (local.get $i) (i32.const 3))))))
      (if (f32.eq (f32.load (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))) (f32.const 1))
        (then (local.set $xs (f32.neg (local.get $xs)))))
      (local.set $es (call $expf (local.get $xs)))
      (local.set $qs (f32.div (f32.const 1) (f32.add (f32.const 1) (local.get $es))))
      (local.set $ts (f32.mul (local.get $es) (local.get $qs)))
      (local.set $gs (select (f32.neg (local.get $ts)) (local.get $ts)
        (f32.eq (f32.load (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))) (f32.const 1))))
      (local.set $hs (f32.mul (local.get $qs) (local.get $ts)))
      (local.set $hs (select (f32.const 1.0000000168623835e-16) (local.get $hs) (f32.lt (local.get $hs) (f32.const 1.0000000168623835e-16))))
      (if (local.get $hasW)
        (then
          (local.set $wi (f64.load (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 3)))))
          (local.set $gs (f32.demote_f64 (f64.mul (local.get $wi) (f64.promote_f32 (local.get $gs)))))
          (local.set $hs (f32.demote_f64 (f64.mul (local.get $wi) (f64.promote_f32 (local.get $hs)))))))
      (f32.store (i32.add (local.get $grad) (i32.shl (local.get $i) (i32.const 2))) (local.get $gs))
      (f32.store (i32.add (local.get $hess) (i32.shl (local.get $i) (i32.const 2))) (local.get $hs))
      (local.set $wi (f64.add (f64.promote_f32 (local.get $es)) (f64.const 1)))
      (local.set $prod (f64.mul (local.get $prod) (select (f64.const 1e15) (local.get $wi) (f64.lt (f64.const 1e15) (local.get $wi)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $row)))
    (select (f64.const nan)
      (f64.add (call $log (local.get $prod)) (f64.mul (local.get $ex) (f64.const 0.6931471805599453)))
      (i32.or (local.get $nan) (f64.ne (local.get $prod) (local.get $prod)))))
)
