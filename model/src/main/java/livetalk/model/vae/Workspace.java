package livetalk.model.vae;

import livetalk.kernels.Backend;
import livetalk.kernels.Buf;

/**
 * The VAE's reusable activation buffers, in numbered slots. A slot grows to the largest size asked
 * of it (this settles after the second latent frame, the first chunk with the full frame count) and
 * is then reused for every later chunk, so memory does not grow with the video length.
 *
 * <p>Blocks alternate their output between {@link #A} and {@link #B}; {@link #S1} and {@link #S2}
 * are their scratch (S2 also the upsampled frame of a Resample); the others are named for their single use. A decoder tower that runs its
 * last stages one frame at a time keeps their input in A or B and alternates the per-frame
 * outputs between the other and {@link #C}, collecting the frames in {@link #OUT}.
 */
final class Workspace {
    static final int A = 0, B = 1, S1 = 2, S2 = 3, Q = 4, K = 5, V = 6, O = 7, IN = 8, Z = 9, C = 10, OUT = 11;

    private final Backend backend;
    private final Buf[] slots = new Buf[12];

    Workspace(Backend backend) {
        this.backend = backend;
    }

    Backend backend() {
        return backend;
    }

    /**
     * A view of {@code n} floats of slot {@code slot}; earlier views of the slot stay valid only
     * until it grows: the smaller buffer is freed then (stream-ordered, after the work already
     * issued on it), since a device backend would otherwise hold it until a garbage collection.
     */
    Buf get(int slot, long n) {
        if (slots[slot] == null || slots[slot].size() < n) {
            if (slots[slot] != null) backend.free(slots[slot]);
            slots[slot] = backend.alloc(n);
        }
        return slots[slot].view(0, n);
    }

    /** Frees every slot (they are made again on demand). */
    void release() {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null) backend.free(slots[i]);
            slots[i] = null;
        }
    }

    Activation get(int slot, int frames, int channels, int h, int w) {
        return new Activation(get(slot, (long) frames * channels * h * w), frames, channels, h, w);
    }

    static int other(int slot) {
        return slot == A ? B : A;
    }

    /** Floats held in all slots. */
    long footprint() {
        long n = 0;
        for (Buf b : slots) if (b != null) n += b.size();
        return n;
    }
}
