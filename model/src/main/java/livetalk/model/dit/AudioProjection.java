package livetalk.model.dit;

import java.util.List;
import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;

/**
 * The audio conditioning modules of the DiT checkpoint (docs/model.md#audio-projection, docs/numerics.md#audio-features): wav2vec
 * features {@code [L, C]} (L = 4F − 3) get 3 copies of frame 0 in front, every 4 frames are packed
 * into one vector (AudioPack, {@code (t c)} order), projected by {@code audio_proj.proj}, normalised
 * by {@code audio_proj.norm_out} (LayerNorm eps 1e-5), then each {@code audio_cond_projs.j} maps
 * the result to the DiT width: {@code [nProj, F, D]}, entry j added before layer j+2.
 */
public final class AudioProjection {
    private final Backend be;
    private final DitConfig cfg;
    private final Weight proj, projBias, normW, normB;
    private final Weight[] condW, condB;

    AudioProjection(Backend be, Checkpoint ck, DitConfig cfg) {
        this.be = be;
        this.cfg = cfg;
        proj = be.weight(ck.get("audio_proj.proj.weight"));
        projBias = be.weight(ck.get("audio_proj.proj.bias"));
        normW = be.weight(ck.get("audio_proj.norm_out.weight"));
        normB = be.weight(ck.get("audio_proj.norm_out.bias"));
        condW = new Weight[cfg.numAudioProjs()];
        condB = new Weight[cfg.numAudioProjs()];
        for (int j = 0; j < condW.length; j++) {
            condW[j] = be.weight(ck.get("audio_cond_projs." + j + ".weight"));
            condB[j] = be.weight(ck.get("audio_cond_projs." + j + ".bias"));
        }
    }

    /**
     * The feature vector per audio frame: {@code cat(last_hidden_state, hidden_states[0..N])}
     * along channels (docs/model.md#audio-features; the last layer appears twice). Each entry is {@code [L, c_i]}.
     */
    public static float[] stackFeatures(List<float[]> parts, int frames) {
        int total = 0;
        for (float[] p : parts) total += p.length / frames;
        float[] out = new float[frames * total];
        int col = 0;
        for (float[] p : parts) {
            int c = p.length / frames;
            for (int t = 0; t < frames; t++) System.arraycopy(p, t * c, out, t * total + col, c);
            col += c;
        }
        return out;
    }

    /** {@code [L, C] → [L + pack − 1, C]}: frame 0 repeated {@code pack − 1} times in front. */
    public float[] padFront(float[] features, int frames) {
        int c = cfg.audioInputDim(), extra = cfg.audioPack() - 1;
        if (features.length != frames * c) {
            throw new IllegalArgumentException("audio features: " + features.length + " values, expected " + frames + "×" + c);
        }
        float[] out = new float[(frames + extra) * c];
        for (int i = 0; i < extra; i++) System.arraycopy(features, 0, out, i * c, c);
        System.arraycopy(features, 0, out, extra * c, frames * c);
        return out;
    }

    /** AudioPack + LayerNorm: features {@code [L, C]} → {@code [F, hidden]} with F = (L + 3) / 4. */
    public float[] pack(float[] features, int frames) {
        float[] padded = padFront(features, frames);   // [4F, C] = [F, 4C] row-major: (t c) order
        int pack = cfg.audioPack(), c = cfg.audioInputDim();
        int rows = padded.length / c;
        if (rows % pack != 0) {
            throw new IllegalArgumentException("audio frames " + frames + " + " + (pack - 1) + " is not a multiple of " + pack);
        }
        int latentFrames = rows / pack, hidden = cfg.audioHidden();
        Buf in = be.upload(padded);
        Buf out = be.alloc((long) latentFrames * hidden);
        be.linear(in, out, latentFrames, proj, projBias);
        be.layerNorm(out, out, latentFrames, hidden, (float) DitConfig.AUDIO_NORM_EPS, normW, normB);
        return readAndFree(in, out);
    }

    /** out's contents; then both device buffers freed (a device backend would hold them until a collection). */
    private float[] readAndFree(Buf in, Buf out) {
        float[] r = be.read(out);
        be.free(in);
        be.free(out);
        return r;
    }

    /** {@code [F, hidden] → [nProj, F, D]}: every {@code audio_cond_projs.j}, stacked on dim 0. */
    public float[] condition(float[] packed, int latentFrames) {
        int d = cfg.dim(), n = condW.length;
        Buf in = be.upload(packed);
        Buf out = be.alloc((long) n * latentFrames * d);
        for (int j = 0; j < n; j++) {
            be.linear(in, out.view((long) j * latentFrames * d, (long) latentFrames * d), latentFrames, condW[j], condB[j]);
        }
        return readAndFree(in, out);
    }
}
