;; The per-pixel work of medst's exact area resample (lib/data/preprocess.ts, areaResize):
;; `accumulate` adds one weighted input row into per-column sums, 16 pixels per iteration with
;; WebAssembly SIMD; `reduce_row` turns those column sums into one output row (horizontal
;; coverage, one division, round half to even). Integer arithmetic throughout (i64 where the
;; sums can pass 2^31), so the result is exact.
;;
;; Built into area_wasm.ts by scripts/build_wasm.mjs (wabt); tests/data/area_kernel.test.ts
;; checks that the committed bytes are this source's.
(module
  (memory (export "memory") 1)

  ;; acc: i32[n] at `acc` (16-byte aligned), row: u8[n] at `row`, weight < 65536.
  (func (export "accumulate") (param $row i32) (param $acc i32) (param $n i32) (param $weight i32)
    (local $x i32)
    (local $end i32)
    (local $pixels v128)
    (local $low v128)
    (local $high v128)
    (local $weights v128)
    (local $at i32)
    (local.set $weights (i16x8.splat (local.get $weight)))
    (local.set $end (i32.and (local.get $n) (i32.const -16)))
    (block $simd_done
      (loop $simd
        (br_if $simd_done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $pixels (v128.load (i32.add (local.get $row) (local.get $x))))
        (local.set $low (i16x8.extend_low_i8x16_u (local.get $pixels)))
        (local.set $high (i16x8.extend_high_i8x16_u (local.get $pixels)))
        (local.set $at (i32.add (local.get $acc) (i32.shl (local.get $x) (i32.const 2))))
        (v128.store offset=0 (local.get $at)
          (i32x4.add (v128.load offset=0 (local.get $at)) (i32x4.extmul_low_i16x8_u (local.get $low) (local.get $weights))))
        (v128.store offset=16 (local.get $at)
          (i32x4.add (v128.load offset=16 (local.get $at)) (i32x4.extmul_high_i16x8_u (local.get $low) (local.get $weights))))
        (v128.store offset=32 (local.get $at)
          (i32x4.add (v128.load offset=32 (local.get $at)) (i32x4.extmul_low_i16x8_u (local.get $high) (local.get $weights))))
        (v128.store offset=48 (local.get $at)
          (i32x4.add (v128.load offset=48 (local.get $at)) (i32x4.extmul_high_i16x8_u (local.get $high) (local.get $weights))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $simd)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $x) (local.get $n)))
        (local.set $at (i32.add (local.get $acc) (i32.shl (local.get $x) (i32.const 2))))
        (i32.store (local.get $at)
          (i32.add (i32.load (local.get $at))
                   (i32.mul (i32.load8_u (i32.add (local.get $row) (local.get $x))) (local.get $weight))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $tail))))

  ;; One output row of n_out pixels at `out` from the column sums at `acc` (i32[in_size]).
  ;; `spans` holds four i32[n_out] arrays back to back: fullStart, fullEnd, leftWeight,
  ;; rightWeight (see DownscaleSpans in preprocess.ts); `unit` is the weight of a whole input
  ;; column; the pixel is round_half_even(sum / denominator), at most 255.
  (func (export "reduce_row") (param $acc i32) (param $spans i32) (param $out i32) (param $n_out i32)
    (param $in_size i32) (param $unit i64) (param $denominator i64)
    (local $x i32)
    (local $from i32)
    (local $until i32)
    (local $i i32)
    (local $full i64)
    (local $sum i64)
    (local $quotient i64)
    (local $twice_remainder i64)
    (local $span i32)
    (block $done
      (loop $pixel
        (br_if $done (i32.ge_u (local.get $x) (local.get $n_out)))
        (local.set $span (i32.add (local.get $spans) (i32.shl (local.get $x) (i32.const 2))))
        (local.set $from (i32.load (local.get $span)))
        (local.set $until (i32.load (i32.add (local.get $span) (i32.shl (local.get $n_out) (i32.const 2)))))
        (local.set $full (i64.const 0))
        (local.set $i (local.get $from))
        (block $sum_done
          (loop $sum_columns
            (br_if $sum_done (i32.ge_u (local.get $i) (local.get $until)))
            (local.set $full (i64.add (local.get $full)
              (i64.extend_i32_u (i32.load (i32.add (local.get $acc) (i32.shl (local.get $i) (i32.const 2)))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $sum_columns)))
        (local.set $sum (i64.mul (local.get $unit) (local.get $full)))
        ;; the partial column before the span, if any
        (if (i32.gt_u (local.get $from) (i32.const 0))
          (then (local.set $sum (i64.add (local.get $sum)
            (i64.mul
              (i64.extend_i32_u (i32.load (i32.add (local.get $span) (i32.shl (local.get $n_out) (i32.const 3)))))
              (i64.extend_i32_u (i32.load (i32.add (local.get $acc) (i32.shl (i32.sub (local.get $from) (i32.const 1)) (i32.const 2))))))))))
        ;; the partial column after it, if any
        (if (i32.lt_u (local.get $until) (local.get $in_size))
          (then (local.set $sum (i64.add (local.get $sum)
            (i64.mul
              (i64.extend_i32_u (i32.load (i32.add (local.get $span) (i32.mul (local.get $n_out) (i32.const 12)))))
              (i64.extend_i32_u (i32.load (i32.add (local.get $acc) (i32.shl (local.get $until) (i32.const 2))))))))))
        (local.set $quotient (i64.div_u (local.get $sum) (local.get $denominator)))
        (local.set $twice_remainder (i64.shl (i64.sub (local.get $sum) (i64.mul (local.get $quotient) (local.get $denominator))) (i64.const 1)))
        (if (i32.or
              (i64.gt_u (local.get $twice_remainder) (local.get $denominator))
              (i32.and (i64.eq (local.get $twice_remainder) (local.get $denominator))
                       (i64.eq (i64.and (local.get $quotient) (i64.const 1)) (i64.const 1))))
          (then (local.set $quotient (i64.add (local.get $quotient) (i64.const 1)))))
        (if (i64.gt_u (local.get $quotient) (i64.const 255)) (then (local.set $quotient (i64.const 255))))
        (i64.store8 (i32.add (local.get $out) (local.get $x)) (local.get $quotient))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $pixel))))
)
