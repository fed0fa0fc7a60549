package livetalk.model.text;

import java.util.Map;
import livetalk.io.Checkpoint;
import livetalk.io.CheckpointException;
import livetalk.tensor.Tensor;

/**
 * Sizes of a umT5 encoder (docs/model.md#umt5). Every size except {@code maxDist} follows from the
 * tensor shapes of the official layout; {@code maxDist} is 128 unless a config says otherwise.
 */
public record Umt5Config(int vocab, int dim, int dimAttn, int dimFfn, int heads, int layers, int buckets, int maxDist,
                         boolean sharedPos, float eps) {

    public static final int DEFAULT_MAX_DIST = 128;   // docs/model.md#umt5
    public static final float EPS = 1e-6f;            // T5LayerNorm eps, docs/model.md#umt5

    public int headDim() {
        return dimAttn / heads;
    }

    /** Sizes read from the tensor shapes of {@code ckpt}. */
    public static Umt5Config infer(Checkpoint ckpt, int maxDist) {
        Tensor emb = ckpt.get("token_embedding.weight");
        int layers = 0;
        while (ckpt.contains("blocks." + layers + ".attn.q.weight")) layers++;
        if (layers == 0) throw new CheckpointException(ckpt.path() + ": no umT5 blocks (blocks.0.attn.q.weight missing)");
        boolean shared = ckpt.contains("pos_embedding.embedding.weight");
        Tensor pos = ckpt.get(shared ? "pos_embedding.embedding.weight" : "blocks.0.pos_embedding.embedding.weight");
        Tensor q = ckpt.get("blocks.0.attn.q.weight");
        Tensor fc1 = ckpt.get("blocks.0.ffn.fc1.weight");
        int heads = (int) pos.dim(1);
        int dimAttn = (int) q.dim(0);
        if (dimAttn % heads != 0) {
            throw new CheckpointException(ckpt.path() + ": attention width " + dimAttn + " is not a multiple of " + heads + " heads");
        }
        return new Umt5Config((int) emb.dim(0), (int) emb.dim(1), dimAttn, (int) fc1.dim(0), heads, layers, (int) pos.dim(0),
                maxDist, shared, EPS);
    }

    /** Sizes from the checkpoint, with {@code max_dist} and the eps taken from a JSON config when it has them. */
    public static Umt5Config infer(Checkpoint ckpt, Map<String, Object> json) {
        int maxDist = json != null && json.get("max_dist") instanceof Number n ? n.intValue() : DEFAULT_MAX_DIST;
        Umt5Config c = infer(ckpt, maxDist);
        if (json != null && json.get("layernorm_eps") instanceof Number e) {
            c = new Umt5Config(c.vocab, c.dim, c.dimAttn, c.dimFfn, c.heads, c.layers, c.buckets, c.maxDist, c.sharedPos, e.floatValue());
        }
        return c;
    }
}
