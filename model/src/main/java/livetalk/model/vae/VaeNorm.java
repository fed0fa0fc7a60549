package livetalk.model.vae;

import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.tensor.Tensor;

/**
 * The VAE's {@code RMS_norm} (docs/model.md#vae-building-blocks): {@code F.normalize} over channels (L2, eps 1e-12), times
 * √C and γ, no bias. γ is stored as {@code [C,1,1,1]} (5-D blocks) or {@code [C,1,1]} (attention).
 */
final class VaeNorm {
    /** {@code F.normalize}'s default eps. */
    static final float EPS = 1e-12f;

    private final Weight gamma;
    private final int channels;

    VaeNorm(Checkpoint ckpt, String prefix, Backend backend) {
        Tensor g = ckpt.get(prefix + ".gamma");
        this.gamma = backend.weight(g);
        this.channels = (int) g.dim(0);
    }

    int channels() {
        return channels;
    }

    /** γ, for the convolutions that apply this norm to their input themselves (CausalConv3d#forwardNormSilu). */
    Weight gamma() {
        return gamma;
    }

    /** Drops γ's device copy (see {@link VaeBlock#release}). */
    void release(Backend backend) {
        backend.release(gamma);
    }

    /** out ← norm(x), followed by SiLU when {@code silu}; out may be x. */
    void forward(Backend backend, Activation x, Buf out, boolean silu) {
        backend.rmsNormChannels(x.buf(), out, x.frames(), x.channels(), x.pixels(), EPS, gamma, silu);
    }
}
