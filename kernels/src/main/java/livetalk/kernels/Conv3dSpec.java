package livetalk.kernels;

/**
 * The fixed hyper-parameters of one 3-D convolution (see {@link Backend#conv3d}): channels, kernel
 * {@code kt×kh×kw}, strides, and explicit zero padding. Time padding is front-only (causal convs
 * pad the past, never the future); spatial padding may be asymmetric, because the VAE's
 * downsampling pads only right and bottom (docs/model.md#vae-building-blocks). A 2-D convolution is {@code kt = 1}.
 */
public record Conv3dSpec(int cin, int cout, int kt, int kh, int kw, int st, int sh, int sw,
                         int padFront, int padTop, int padBottom, int padLeft, int padRight) {

    public Conv3dSpec {
        if (cin < 1 || cout < 1 || kt < 1 || kh < 1 || kw < 1 || st < 1 || sh < 1 || sw < 1
                || padFront < 0 || padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) {
            throw new KernelException("bad convolution " + this);
        }
    }

    /** A stride-1 convolution with symmetric spatial padding {@code ph}, {@code pw} and front time padding {@code padFront}. */
    public static Conv3dSpec of(int cin, int cout, int kt, int kh, int kw, int padFront, int ph, int pw) {
        return new Conv3dSpec(cin, cout, kt, kh, kw, 1, 1, 1, padFront, ph, ph, pw, pw);
    }

    /** The same convolution with another front time padding. */
    public Conv3dSpec withPadFront(int p) {
        return new Conv3dSpec(cin, cout, kt, kh, kw, st, sh, sw, p, padTop, padBottom, padLeft, padRight);
    }

    /** Output frames for {@code inFrames} input frames (history included, padding not). */
    public int outFrames(int inFrames) {
        return out("frames", padFront + inFrames, kt, st);
    }

    public int outH(int h) {
        return out("height", h + padTop + padBottom, kh, sh);
    }

    public int outW(int w) {
        return out("width", w + padLeft + padRight, kw, sw);
    }

    /** Weight elements: {@code cout·cin·kt·kh·kw}. */
    public long weightSize() {
        return (long) cout * cin * kt * kh * kw;
    }

    private int out(String what, int padded, int k, int s) {
        if (padded < k) {
            throw new KernelException("convolution " + this + ": padded input " + what + " " + padded + " is smaller than the kernel " + k);
        }
        return (padded - k) / s + 1;
    }
}
