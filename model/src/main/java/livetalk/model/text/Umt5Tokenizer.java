package livetalk.model.text;

import java.nio.file.Path;

/**
 * The umT5 tokenizer as LiveTalk calls it (docs/model.md#tokenizer): clean the prompt, encode with the
 * SentencePiece unigram model, keep at most {@code seqLen − 1} pieces, append {@code </s>}, pad
 * with the pad id (0) to {@code seqLen}; the mask is 1 on real tokens, {@code </s>} included.
 */
public final class Umt5Tokenizer {
    public static final int SEQ_LEN = 512;

    public record Encoding(long[] ids, long[] mask, int length) {
    }

    private final UnigramTokenizer sp;
    private final int seqLen;
    private final boolean ftfyLike;

    public Umt5Tokenizer(UnigramTokenizer sp, int seqLen, boolean ftfyLike) {
        if (seqLen < 1) throw new IllegalArgumentException("seqLen " + seqLen);
        int eos = sp.model().eosId;
        if (eos < 0 || eos >= sp.vocabSize()) {     // checked at load time, not at the first prompt
            throw new IllegalArgumentException("the SentencePiece model has no eos id (eos_id " + eos + ", " + sp.vocabSize() + " pieces)");
        }
        this.sp = sp;
        this.seqLen = seqLen;
        this.ftfyLike = ftfyLike;
    }

    public static Umt5Tokenizer load(Path spieceModel) {
        UnigramTokenizer sp = UnigramTokenizer.load(spieceModel);
        try {
            return new Umt5Tokenizer(sp, SEQ_LEN, true);
        } catch (IllegalArgumentException e) {
            throw new livetalk.io.CheckpointException(spieceModel + ": " + e.getMessage());
        }
    }

    /**
     * The tokenizer of a directory such as {@code google/umt5-xxl/}: {@code spiece.model} when
     * present, else {@code tokenizer.json} (a single {@code .model} file also works).
     */
    public static Umt5Tokenizer fromDirectory(Path dir) {
        Path spiece = dir.resolve("spiece.model"), json = dir.resolve("tokenizer.json");
        if (java.nio.file.Files.isRegularFile(spiece)) return load(spiece);
        if (java.nio.file.Files.isRegularFile(json)) {
            SentencePieceModel m = TokenizerJson.read(json);
            try {
                return new Umt5Tokenizer(new UnigramTokenizer(m), SEQ_LEN, true);
            } catch (IllegalArgumentException e) {
                throw new livetalk.io.CheckpointException(json + ": " + e.getMessage());
            }
        }
        if (java.nio.file.Files.isRegularFile(dir) && dir.toString().endsWith(".model")) return load(dir);
        throw new livetalk.io.CheckpointException(dir + ": no spiece.model or tokenizer.json");
    }

    public UnigramTokenizer pieces() {
        return sp;
    }

    /** Cleans the prompt, then {@link #encodeClean}. */
    public Encoding encode(String prompt) {
        return encodeClean(PromptCleaner.clean(prompt, ftfyLike));
    }

    /** Encodes already-cleaned text. */
    public Encoding encodeClean(String text) {
        int[] p = sp.encode(text);
        int eos = sp.model().eosId, pad = Math.max(0, sp.model().padId);
        if (eos < 0) throw new IllegalArgumentException("the SentencePiece model has no eos id");
        int n = Math.min(p.length, seqLen - 1);
        long[] ids = new long[seqLen];
        long[] mask = new long[seqLen];
        java.util.Arrays.fill(ids, pad);
        for (int i = 0; i < n; i++) ids[i] = p[i];
        ids[n] = eos;
        for (int i = 0; i <= n; i++) mask[i] = 1;
        return new Encoding(ids, mask, n + 1);
    }
}
