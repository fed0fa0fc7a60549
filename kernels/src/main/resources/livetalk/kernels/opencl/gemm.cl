// linear: out[r, o] = sum_k x[r, k] * W[o, k] + bias[o]   (x [rows, in], W [outDim, in], out [rows, outDim])
//
// Portable tiled kernel: a work-group of RTS x RTS items computes a TS x TS output tile; each item
// keeps a WPT x WPT register tile. Per step of TK along k, the group stages a TS x TK slice of x and
// of W in local memory (widened to float, so BF16/F16 weights cost one conversion per element per
// tile). Items own rows/cols strided by RTS so that neighbours write neighbouring outputs
// (coalesced) and read distinct local-memory banks.
//
// The host includes this file once per variant, defining GEMM_NAME, TS and WPT before it (see
// ClProgram): `linear` (64x64 tile, 4x4 per item, the portable default) and `linear_t128`
// (128x128 tile, 8x8 per item: twice the reuse per staged value, for matrices of 128+). Both keep
// RTS = 16, i.e. 256 items per group.
#define TK 16
#define RTS (TS / WPT)

__kernel __attribute__((reqd_work_group_size(RTS, RTS, 1)))
void GEMM_NAME(const __global float* x, long xOff, __global float* out, long outOff,
            const __global ushort* w, int wType, const __global ushort* bias, int bType, int hasBias,
            int rows, int in, int outDim) {
    x += xOff;
    out += outOff;
    __local float xs[TK][TS + 1];
    __local float ws[TK][TS + 1];
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int lid = ty * RTS + tx;
    const int o0 = get_group_id(0) * TS, r0 = get_group_id(1) * TS;

    float acc[WPT][WPT];
    for (int i = 0; i < WPT; i++)
        for (int j = 0; j < WPT; j++) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < in; k0 += TK) {
        // Stage the tiles: consecutive items read consecutive k of one row (coalesced along k).
        for (int l = 0; l < TS * TK / (RTS * RTS); l++) {
            const int e = lid + l * RTS * RTS;
            const int kk = e % TK, rr = e / TK;
            const int k = k0 + kk;
            const int r = r0 + rr, o = o0 + rr;
            xs[kk][rr] = (r < rows && k < in) ? x[(long) r * in + k] : 0.0f;
            ws[kk][rr] = (o < outDim && k < in) ? ldw(w, (long) o * in + k, wType) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TK; kk++) {
            float a[WPT], b[WPT];
            for (int i = 0; i < WPT; i++) a[i] = xs[kk][ty + i * RTS];
            for (int j = 0; j < WPT; j++) b[j] = ws[kk][tx + j * RTS];
            for (int i = 0; i < WPT; i++)
                for (int j = 0; j < WPT; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int i = 0; i < WPT; i++) {
        const int r = r0 + ty + i * RTS;
        if (r >= rows) continue;
        for (int j = 0; j < WPT; j++) {
            const int o = o0 + tx + j * RTS;
            if (o >= outDim) continue;
            out[(long) r * outDim + o] = acc[i][j] + (hasBias ? ldw(bias, o, bType) : 0.0f);
        }
    }
}

#undef TK
#undef RTS
