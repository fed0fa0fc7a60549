package livetalk.model.vae;

import livetalk.io.Checkpoint;
import livetalk.io.CheckpointException;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;

/**
 * The Wan 2.1 causal video VAE ({@code WanVAE_} + {@code WanVAEWrapper}, docs/model.md#vae), loaded by the
 * official state-dict names ({@code Wan2.1_VAE.pth}, or safetensors with the same names).
 *
 * <p>Layouts (frame-major, as the pipeline's {@code [B, F, C, H, W]} without B): pixels
 * {@code [T, 3, H, W]} in [−1, 1]; latents {@code [F, z, H/8, W/8]}. Encoding is used for the
 * reference image; decoding goes through {@link #decoder}, a streaming session.
 *
 * <p>Not thread-safe. The encoder and the decoder each hold their own causal caches; decoding
 * sessions may be interleaved, each keeping its own decoder history (swapped in when it decodes).
 */
public final class WanVae {
    private final Backend backend;
    private final VaeConfig config;
    private final VaeTower encoder;
    private final VaeTower decoder;
    private final CausalConv3d conv1, conv2;    // top-level 1×1×1: after the encoder / before the decoder
    private final Workspace encWs, decWs;
    private StreamingDecoder session;
    private final java.util.List<Streaming> decoderHistory;

    private WanVae(Checkpoint ckpt, Backend backend) {
        this.backend = backend;
        this.config = VaeConfig.infer(ckpt);
        if (config.zDim() != LatentStats.CHANNELS) {
            throw new CheckpointException(ckpt.path() + ": latent channels " + config.zDim() + " (conv2.weight), but the Wan latent statistics cover "
                    + LatentStats.CHANNELS);
        }
        this.encoder = VaeTower.encoder(ckpt, config, backend);
        this.decoder = VaeTower.decoder(ckpt, config, backend);
        this.conv1 = CausalConv3d.load(ckpt, "conv1", backend, 0, 0, 0);
        this.conv2 = CausalConv3d.load(ckpt, "conv2", backend, 0, 0, 0);
        this.encWs = new Workspace(backend);
        this.decWs = new Workspace(backend);
        this.decoderHistory = decoder.streaming();
    }

    /** Loads every VAE tensor from {@code ckpt} (weights stay in the file's dtype). */
    public static WanVae load(Checkpoint ckpt, Backend backend) {
        return new WanVae(ckpt, backend);
    }

    public VaeConfig config() {
        return config;
    }

    // ------------------------------------------------------------------ encoder

    /**
     * Pixels {@code [T, 3, H, W]} → normalised latents {@code [F, z, H/8, W/8]}, F = 1 + (T−1)/4
     * (docs/model.md#vae-encoder, docs/model.md#latent-normalisation). Frames are encoded in chunks 1, 4, 4, … with the causal cache; as in the
     * official {@code WanVAE_.encode}, trailing frames that do not fill a chunk of 4 are ignored.
     */
    public float[] encode(float[] pixels, int frames, int h, int w) {
        float[] mu = encodeMu(pixels, frames, h, w);
        int f = 1 + (frames - 1) / config.temporalFactor();             // one latent frame per chunk
        LatentStats.normalize(mu, f, mu.length / (f * config.zDim()));
        return mu;
    }

    /** The encoder mean μ before normalisation, {@code [F, z, h, w]}. */
    public float[] encodeMu(float[] pixels, int frames, int h, int w) {
        long frame = 3L * h * w;
        if (frames < 1 || pixels.length != frames * frame) {
            throw new IllegalArgumentException(pixels.length + " pixel values do not form [" + frames + ", 3, " + h + ", " + w + "]");
        }
        int tf = config.temporalFactor();
        int chunks = 1 + (frames - 1) / tf;
        encoder.reset();
        float[] result = null;
        int pos = 0, written = 0;
        for (int i = 0; i < chunks; i++) {
            int n = i == 0 ? 1 : tf;                                    // chunks of 1, 4, 4, ...
            Buf in = encWs.get(Workspace.IN, n * frame);
            backend.write(in, java.util.Arrays.copyOfRange(pixels, (int) (pos * frame), (int) ((pos + n) * frame)));
            pos += n;
            Activation e = encoder.forward(new Activation(in, n, 3, h, w), encWs);  // [T', 2z, h', w']
            Activation moments = conv1.forward(e, encWs.get(Workspace.A, conv1.outSize(e)));
            if (result == null) result = new float[chunks * config.zDim() * moments.pixels()];
            for (int t = 0; t < moments.frames(); t++) {
                // μ = channels [0, z) of the moments; log-variance [z, 2z) is unused.
                float[] mu = backend.read(moments.frame(t).view(0, (long) config.zDim() * moments.pixels()));
                System.arraycopy(mu, 0, result, written, mu.length);
                written += mu.length;
            }
        }
        releaseEncoder();
        return written == result.length ? result : java.util.Arrays.copyOf(result, written);
    }

    /**
     * Frees everything the encoder holds on the device: its workspace, causal caches and weights'
     * device copies, the calling thread's scratch, and the allocator's now unused memory (made
     * again by the next encode). The encoder runs once per reference image, and at 512×512 it held
     * about 2 GiB (docs/cuda-performance.md#gpu-memory) that the DiT and the decoder never use.
     * Everything the encode computed has been read back by now; frees are ordered after the work
     * already issued anyway.
     */
    private void releaseEncoder() {
        encoder.release();
        conv1.release();
        encWs.release();
        backend.trimMemory();
    }

    // ------------------------------------------------------------------ decoder

    /**
     * Starts a streaming decoding session for latents of {@code h × w}, with an empty history.
     * Sessions may be interleaved: each keeps its own history, swapped in when it decodes (calls
     * must still come from one thread at a time: the activation buffers are shared).
     */
    public StreamingDecoder decoder(int h, int w) {
        return new StreamingDecoder(this, h, w);
    }

    /** Decodes a whole latent sequence {@code [F, z, h, w]} into raw decoder output {@code [1+4(F−1), 3, 8h, 8w]} (not clamped). */
    public float[] decodeRaw(float[] latents, int frames, int h, int w) {
        return decoder(h, w).pushRaw(latents, frames);
    }

    /** {@code WanVAEWrapper.decode_to_pixel}: decoded frames clamped to [−1, 1]. */
    public float[] decode(float[] latents, int frames, int h, int w) {
        return StreamingDecoder.clamp(decodeRaw(latents, frames, h, w));
    }

    /** One normalised latent frame → its pixel frames (raw), for the session that owns the caches. */
    float[] decodeFrame(StreamingDecoder owner, float[] latent, int h, int w) {
        if (owner != session) {
            // another session decoded last: park its history and bring this one's in (references only)
            if (session != null) session.history = Streaming.saveAll(decoderHistory);
            Streaming.restoreAll(decoderHistory, owner.history);
            owner.history = null;
            session = owner;
        }
        float[] z = latent.clone();
        LatentStats.denormalize(z, 1, h * w);
        Buf in = decWs.get(Workspace.IN, z.length);
        backend.write(in, z);
        // conv2 (1×1×1) precedes the decoder; it is per frame, so per-chunk is the same as all at once.
        Activation zc = conv2.forward(new Activation(in, 1, config.zDim(), h, w), decWs.get(Workspace.Z, z.length));
        Activation px = decoder.forward(zc, decWs);
        return backend.read(px.buf());
    }

    /**
     * Frees a decoding session's causal history, wherever it is (in the modules if it decoded last,
     * else parked in the session); the session is not used again. Under the same exclusion as the
     * decodes.
     */
    void releaseHistory(StreamingDecoder owner) {
        Object[] h;
        if (owner == session) {
            h = Streaming.saveAll(decoderHistory);
            Streaming.restoreAll(decoderHistory, null);
            session = null;
        } else {
            h = owner.history;
            owner.history = null;
        }
        if (h != null) {
            for (int i = 0; i < h.length; i++) decoderHistory.get(i).freeHistory(h[i]);
        }
    }

    /** Floats held by the decoder's reusable activation buffers (caches not included). */
    public long decoderWorkspaceFloats() {
        return decWs.footprint();
    }

    /** Device bytes of the causal history the decoder's modules hold now (the current session's). */
    public long decoderHistoryBytes() {
        return decoderHistory.stream().mapToLong(Streaming::historyBytes).sum();
    }

    /** The backend the VAE runs on. */
    public Backend backend() {
        return backend;
    }
}
