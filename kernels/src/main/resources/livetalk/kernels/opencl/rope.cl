// Rotary embedding on interleaved pairs, in place: one work-item per (row, head, pair).
// x [rows, heads*hd]; cos and sin [rows, hd/2], shared by all heads.
__kernel void rope(__global float* x, long xOff, int rows, int heads, int hd,
                   const __global float* cosv, long cOff, const __global float* sinv, long sOff) {
    const int half_ = hd / 2;
    const long g = get_global_id(0);
    if (g >= (long) rows * heads * half_) return;
    const int j = g % half_;
    const long rh = g / half_;        // row * heads + head
    const long r = rh / heads;
    __global float* p = x + xOff + rh * hd + 2 * j;
    const float c = cosv[cOff + r * half_ + j], s = sinv[sOff + r * half_ + j];
    const float x0 = p[0], x1 = p[1];
    p[0] = x0 * c - x1 * s;
    p[1] = x0 * s + x1 * c;
}
