package livetalk.model.vae;

import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.Weight;
import livetalk.tensor.Tensor;

/**
 * The mid-block {@code AttentionBlock(C)} (docs/model.md#vae-building-blocks): per frame, norm → 1×1 conv C→3C
 * ({@code to_qkv}; q, k, v = channel thirds) → single-head attention over the H·W pixels with scale
 * 1/√C → 1×1 conv ({@code proj}) → + input. Not causal across frames, so it keeps no history.
 */
final class AttentionBlock implements VaeBlock {
    private final Backend backend;
    private final VaeNorm norm;
    private final Weight qkv, qkvBias, proj, projBias;
    private final Conv3dSpec qkvSpec, projSpec;
    private final int c;

    AttentionBlock(Checkpoint ckpt, String prefix, Backend backend) {
        this.backend = backend;
        this.norm = new VaeNorm(ckpt, prefix + ".norm", backend);
        Tensor wq = ckpt.get(prefix + ".to_qkv.weight");           // [3C, C, 1, 1]
        this.c = (int) wq.dim(1);
        this.qkv = backend.weight(wq);
        this.qkvBias = backend.weight(ckpt.get(prefix + ".to_qkv.bias"));
        this.proj = backend.weight(ckpt.get(prefix + ".proj.weight")); // [C, C, 1, 1]
        this.projBias = backend.weight(ckpt.get(prefix + ".proj.bias"));
        this.qkvSpec = Conv3dSpec.of(c, 3 * c, 1, 1, 1, 0, 0, 0);
        this.projSpec = Conv3dSpec.of(c, c, 1, 1, 1, 0, 0, 0);
    }

    @Override
    public Activation forward(Activation x, int outSlot, Workspace ws) {
        int n = x.pixels();
        long plane = (long) c * n;
        Activation out = ws.get(outSlot, x.frames(), c, x.h(), x.w());
        Buf xn = ws.get(Workspace.S1, plane), qkvOut = ws.get(Workspace.S2, 3 * plane);
        Buf q = ws.get(Workspace.Q, plane), k = ws.get(Workspace.K, plane), v = ws.get(Workspace.V, plane), o = ws.get(Workspace.O, plane);
        for (int t = 0; t < x.frames(); t++) {
            Activation frame = x.frames(t, 1);
            norm.forward(backend, frame, xn, false);
            backend.conv3d(null, 0, xn, 1, x.h(), x.w(), qkvOut, qkvSpec, qkv, qkvBias); // [3C, N]
            // [C, N] channel planes → [N, C] token rows for the attention op.
            backend.transpose(qkvOut.view(0, plane), q, c, n);
            backend.transpose(qkvOut.view(plane, plane), k, c, n);
            backend.transpose(qkvOut.view(2 * plane, plane), v, c, n);
            backend.attention(q, k, v, o, n, n, 1, c, (float) (1 / Math.sqrt(c)), null);
            backend.transpose(o, xn, n, c);                                               // [C, N]
            // dst = proj(o) + the frame, the add in the projection's epilogue where the backend fuses it (Backend.conv3dResidual)
            Buf dst = out.frame(t);
            backend.conv3dResidual(null, 0, xn, 1, x.h(), x.w(), dst, frame.buf(), projSpec, proj, projBias);
        }
        return out;
    }

    @Override
    public void reset() {
    }

    @Override
    public void release() {
        norm.release(backend);
        for (Weight w : new Weight[] {qkv, qkvBias, proj, projBias}) backend.release(w);
    }
}
