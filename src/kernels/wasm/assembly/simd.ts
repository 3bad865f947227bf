// Lane-width helpers shared by the kernels: widen an f32x4 to two f64x2 halves and back.

@inline export function lo64(x: v128): v128 { return f64x2.promote_low_f32x4(x); }
@inline export function hi64(x: v128): v128 { return f64x2.promote_low_f32x4(f32x4.shuffle(x, x, 2, 3, 2, 3)); }
@inline export function narrow(lo: v128, hi: v128): v128 {
  return f32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}
