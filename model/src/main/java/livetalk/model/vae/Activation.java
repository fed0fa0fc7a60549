package livetalk.model.vae;

import livetalk.kernels.Buf;

/**
 * A VAE activation in the backend's frame-major layout {@code [T, C, H, W]} (Backend's VAE
 * section): {@code buf} holds exactly {@code frames·channels·h·w} floats, one contiguous
 * {@code [C, H, W]} block per frame.
 */
record Activation(Buf buf, int frames, int channels, int h, int w) {

    Activation {
        if (buf.size() != (long) frames * channels * h * w) {
            throw new IllegalArgumentException("buffer of " + buf.size() + " floats for an activation [" + frames + ", " + channels + ", "
                    + h + ", " + w + "]");
        }
    }

    long frameSize() {
        return (long) channels * h * w;
    }

    int pixels() {
        return h * w;
    }

    /** Frame {@code t} as a {@code [C, H, W]} view. */
    Buf frame(int t) {
        return buf.view(t * frameSize(), frameSize());
    }

    /** Frames {@code [from, from+count)} as an activation sharing memory. */
    Activation frames(int from, int count) {
        return new Activation(buf.view(from * frameSize(), count * frameSize()), count, channels, h, w);
    }
}
