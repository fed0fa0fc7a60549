package livetalk.kernels;

/**
 * How the DiT cuts a latent video into tokens (docs/model.md#dit-forward, steps 1 and 9):
 * {@code frames} planes of {@code h × w} latent pixels, in patches of {@code ph × pw}, so a frame
 * has {@code gh × gw} tokens, {@code gh = h / ph}, {@code gw = w / pw}, and tokens are numbered
 * frame, then patch row, then patch column.
 */
public record PatchGrid(int frames, int h, int w, int ph, int pw) {
    public PatchGrid {
        if (frames < 0 || h < 0 || w < 0 || ph <= 0 || pw <= 0 || h % ph != 0 || w % pw != 0) {
            throw new KernelException("patch grid: " + frames + " frames of " + h + "×" + w + " in patches of " + ph + "×" + pw
                    + " (the sides must be multiples of the patch)");
        }
    }

    public int gh() {
        return h / ph;
    }

    public int gw() {
        return w / pw;
    }

    /** Tokens of the whole grid, {@code frames · gh · gw}. */
    public long tokens() {
        return (long) frames * gh() * gw();
    }

    /** Values of one plane, {@code h · w}. */
    public long plane() {
        return (long) h * w;
    }

    /** The argument checks of {@link Backend#patchify}, the same on every backend. */
    public void checkPatchify(long srcSize, long frameStride, long channelStride, int channels, long outSize, int outChannels, int c0) {
        if (channels < 0 || c0 < 0 || c0 + channels > outChannels || frameStride < 0 || channelStride < 0) {
            throw new KernelException("patchify: channels [" + c0 + ", " + (c0 + channels) + ") of " + outChannels
                    + ", strides " + frameStride + " and " + channelStride);
        }
        long last = frames == 0 || channels == 0 ? -1 : (frames - 1) * frameStride + (channels - 1) * channelStride + plane() - 1;
        if (last >= srcSize) {
            throw new KernelException("patchify: the source has " + srcSize + " floats, the grid reads up to index " + last);
        }
        long expected = tokens() * outChannels * ph * pw;
        if (outSize != expected) throw new KernelException("patchify: expected " + expected + " floats out, found " + outSize);
    }

    /** The argument checks of {@link Backend#unpatchify}, the same on every backend. */
    public void checkUnpatchify(long tokensSize, int channels, long outSize) {
        long in = tokens() * ph * pw * channels, out = (long) frames * channels * plane();
        if (tokensSize != in) throw new KernelException("unpatchify: expected " + in + " floats of tokens, found " + tokensSize);
        if (outSize != out) throw new KernelException("unpatchify: expected " + out + " floats out, found " + outSize);
    }
}
