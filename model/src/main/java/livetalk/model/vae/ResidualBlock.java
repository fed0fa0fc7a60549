package livetalk.model.vae;

import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;

/**
 * {@code ResidualBlock(in, out)} (docs/model.md#vae-building-blocks): residual = norm → SiLU → conv 3³ → norm → SiLU →
 * (dropout 0) → conv 3³, plus the shortcut (a 1×1×1 conv when in ≠ out, else identity). The
 * official Sequential indices give the names: {@code residual.0} norm, {@code .2} conv,
 * {@code .3} norm, {@code .6} conv.
 */
final class ResidualBlock implements VaeBlock {
    private final Backend backend;
    private final VaeNorm norm1, norm2;
    private final CausalConv3d conv1, conv2, shortcut;

    ResidualBlock(Checkpoint ckpt, String prefix, Backend backend) {
        this.backend = backend;
        this.norm1 = new VaeNorm(ckpt, prefix + ".residual.0", backend);
        this.conv1 = CausalConv3d.load(ckpt, prefix + ".residual.2", backend, 1, 1, 1);
        this.norm2 = new VaeNorm(ckpt, prefix + ".residual.3", backend);
        this.conv2 = CausalConv3d.load(ckpt, prefix + ".residual.6", backend, 1, 1, 1);
        this.shortcut = ckpt.contains(prefix + ".shortcut.weight") ? CausalConv3d.load(ckpt, prefix + ".shortcut", backend, 0, 0, 0) : null;
    }

    int inChannels() {
        return conv1.cin();
    }

    int outChannels() {
        return conv2.cout();
    }

    @Override
    public Activation forward(Activation x, int outSlot, Workspace ws) {
        int t = x.frames(), h = x.h(), w = x.w(), cout = outChannels();
        // x [T, in, H, W] → s2 = conv1(SiLU(norm(x))) [T, out, H, W], the normed x in S1 where the backend stores it
        Activation s2 = conv1.forwardNormSilu(x, norm1, ws.get(Workspace.S1, (long) t * x.channels() * h * w),
                ws.get(Workspace.S2, conv1.outSize(x)), null);
        // residual = conv2(SiLU(norm(s2))), normed in place in s2. The block's add is the last
        // convolution's residual argument, which the backend may add in that convolution's
        // epilogue (Backend.conv3dResidual): out[i] = conv[i] + other[i], the bits of the add it
        // replaces, since IEEE addition is commutative.
        Activation out = ws.get(outSlot, t, cout, h, w);
        if (shortcut == null) {
            // out = residual + x
            conv2.forwardNormSilu(s2, norm2, s2.buf(), out.buf(), x.buf());
        } else {
            // out = shortcut(x) + residual: the residual into S1 (free again once conv1 has read it), then the shortcut
            // adding it, in the order the convolutions ran before, so that a backend that adds apart launches what it did
            Activation r = conv2.forwardNormSilu(s2, norm2, s2.buf(), ws.get(Workspace.S1, (long) t * cout * h * w), null);
            shortcut.forward(x, out.buf(), r.buf());
        }
        return out;
    }

    @Override
    public void streaming(java.util.List<Streaming> out) {
        out.add(conv1);
        out.add(conv2);
        if (shortcut != null) out.add(shortcut);
    }

    @Override
    public void reset() {
        conv1.reset();
        conv2.reset();
    }

    @Override
    public void release() {
        norm1.release(backend);
        norm2.release(backend);
        conv1.release();
        conv2.release();
        if (shortcut != null) shortcut.release();
    }
}
