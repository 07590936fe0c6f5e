;; The logistic objective's kernels (expf, log, logistic, logisticLoss): functions of the module in
;; kernels.wat, which includes this file where it says so (bin/build-wasm.ts joins them). They use
;; no memory layout of their own: pointers into the arena, as the histogram kernels do.
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
  ;; expf4 / log2x: $expf on four lanes and $log on two, the same operations lane by lane (so the
  ;; same bits as the scalar functions and fastmath.ts).
  (func $expf4 (param $x v128) (result v128)
    (local $k v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.pmin (local.get $x) (v128.const f32x4 80 80 80 80)))
    (local.set $x (f32x4.pmax (local.get $x) (v128.const f32x4 -80 -80 -80 -80)))
    (local.set $k (f32x4.floor (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 1.4426950216293335 1.4426950216293335 1.4426950216293335 1.4426950216293335))
      (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
      (f32x4.mul (local.get $k) (v128.const f32x4 -0.00021219444170128554 -0.00021219444170128554 -0.00021219444170128554 -0.00021219444170128554))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $r) (f32x4.add (f32x4.mul (local.get $r) (f32x4.add (f32x4.mul (local.get $r)
      (f32x4.add (f32x4.mul (local.get $r) (f32x4.add (f32x4.mul (local.get $r) (v128.const f32x4 0.00019875691214110702 0.00019875691214110702 0.00019875691214110702 0.00019875691214110702))
        (v128.const f32x4 0.001398199936375022 0.001398199936375022 0.001398199936375022 0.001398199936375022)))
        (v128.const f32x4 0.008333452045917511 0.008333452045917511 0.008333452045917511 0.008333452045917511)))
      (v128.const f32x4 0.04166579619050026 0.04166579619050026 0.04166579619050026 0.04166579619050026)))
      (v128.const f32x4 0.1666666567325592 0.1666666567325592 0.1666666567325592 0.1666666567325592)))
      (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (f32x4.mul
      (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)) (v128.const f32x4 1 1 1 1))
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
  (func $log2x (param $x v128) (result v128)
    (local $e v128) (local $m v128) (local $up v128) (local $f v128) (local $s v128) (local $z v128) (local $w v128) (local $hf v128) (local $R v128)
    (local.set $m (v128.or (v128.and (local.get $x) (v128.const i64x2 0x000fffffffffffff 0x000fffffffffffff)) (v128.const i64x2 0x3ff0000000000000 0x3ff0000000000000)))
    (local.set $up (f64x2.gt (local.get $m) (v128.const f64x2 1.4142135623730951 1.4142135623730951)))
    ;; the exponent, +1 where up (the mask is −1 there), its low 32 bits of each lane to doubles
    (local.set $e (i64x2.sub (i64x2.sub (i64x2.shr_u (local.get $x) (i32.const 52)) (v128.const i64x2 1023 1023)) (local.get $up)))
    (local.set $e (f64x2.convert_low_i32x4_s (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11 (local.get $e) (local.get $e))))
    (local.set $m (v128.bitselect (f64x2.mul (local.get $m) (v128.const f64x2 0.5 0.5)) (local.get $m) (local.get $up)))
    (local.set $f (f64x2.sub (local.get $m) (v128.const f64x2 1 1)))
    (local.set $s (f64x2.div (local.get $f) (f64x2.add (v128.const f64x2 2 2) (local.get $f))))
    (local.set $z (f64x2.mul (local.get $s) (local.get $s)))
    (local.set $w (f64x2.mul (local.get $z) (local.get $z)))
    (local.set $R (f64x2.add
      (f64x2.mul (local.get $z) (f64x2.add (v128.const f64x2 0.66666666666667351 0.66666666666667351) (f64x2.mul (local.get $w)
        (f64x2.add (v128.const f64x2 0.28571428743662391 0.28571428743662391) (f64x2.mul (local.get $w)
        (f64x2.add (v128.const f64x2 0.18183572161618050 0.18183572161618050) (f64x2.mul (local.get $w) (v128.const f64x2 0.14798198605116586 0.14798198605116586))))))))
      (f64x2.mul (local.get $w) (f64x2.add (v128.const f64x2 0.39999999999409419 0.39999999999409419) (f64x2.mul (local.get $w)
        (f64x2.add (v128.const f64x2 0.22222198432149784 0.22222198432149784) (f64x2.mul (local.get $w) (v128.const f64x2 0.15313837699209373 0.15313837699209373))))))))
    (local.set $hf (f64x2.mul (v128.const f64x2 0.5 0.5) (f64x2.mul (local.get $f) (local.get $f))))
    (v128.bitselect
      (f64x2.sub (f64x2.mul (local.get $e) (v128.const f64x2 0.69314718036912382 0.69314718036912382))
        (f64x2.sub (f64x2.sub (local.get $hf) (f64x2.add (f64x2.mul (local.get $s) (f64x2.add (local.get $hf) (local.get $R)))
          (f64x2.mul (local.get $e) (v128.const f64x2 1.9082149292705877e-10 1.9082149292705877e-10)))) (local.get $f)))
      (local.get $x)
      (f64x2.eq (local.get $x) (local.get $x))))
  ;; logisticLoss: Σ over rows 0 .. n of min(limit, floor(l · scale + 0.5)), l a row's log loss as
  ;; `logistic` computes it (log(1 + expf(x)), 1 + e capped at 1e15): the quantised sum a
  ;; data-parallel session reports, exact in any order (gbm/objective-kernel.ts mirrors it). Four
  ;; rows at a time (expf4, log2x), the rest one by one; whole numbers, so the lanes' sums add up
  ;; to the sum row by row.
  (func (export "logisticLoss") (param $margin i32) (param $y i32) (param $n i32) (param $scale f64) (param $limit f64) (result f64)
    (local $i i32) (local $x f32) (local $a f64) (local $q f64) (local $sum f64)
    (local $xv v128) (local $ev v128) (local $av v128) (local $qv v128) (local $acc v128) (local $sv v128) (local $lv v128) (local $m i32)
    (local.set $sv (f64x2.splat (local.get $scale)))
    (local.set $lv (f64x2.splat (local.get $limit)))
    (block $quads (loop $quad
      (br_if $quads (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $m (i32.add (local.get $margin) (i32.shl (local.get $i) (i32.const 3))))
      ;; x: four margins in single precision, negated where y = 1
      (local.set $xv (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (v128.load (local.get $m)))
        (f32x4.demote_f64x2_zero (v128.load offset=16 (local.get $m)))))
      (local.set $xv (v128.bitselect (f32x4.neg (local.get $xv)) (local.get $xv)
        (f32x4.eq (v128.load (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))) (v128.const f32x4 1 1 1 1))))
      (local.set $ev (call $expf4 (local.get $xv)))
      ;; rows i, i + 1 then i + 2, i + 3
      (local.set $av (f64x2.pmin (f64x2.add (f64x2.promote_low_f32x4 (local.get $ev)) (v128.const f64x2 1 1)) (v128.const f64x2 1e15 1e15)))
      (local.set $qv (f64x2.floor (f64x2.add (f64x2.mul (call $log2x (local.get $av)) (local.get $sv)) (v128.const f64x2 0.5 0.5))))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.pmin (local.get $qv) (local.get $lv))))
      (local.set $av (f64x2.pmin (f64x2.add (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $ev) (local.get $ev)))
        (v128.const f64x2 1 1)) (v128.const f64x2 1e15 1e15)))
      (local.set $qv (f64x2.floor (f64x2.add (f64x2.mul (call $log2x (local.get $av)) (local.get $sv)) (v128.const f64x2 0.5 0.5))))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.pmin (local.get $qv) (local.get $lv))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $quad)))
    (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
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
