package livetalk.cli.fuzz;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import livetalk.io.Checkpoint;
import livetalk.io.CheckpointException;
import livetalk.io.Json;
import livetalk.io.MediaException;
import livetalk.io.PthWriter;
import livetalk.io.SafetensorsFile;
import livetalk.io.SafetensorsWriter;
import livetalk.io.audio.WavReader;
import livetalk.io.image.ImageFiles;
import livetalk.model.text.Umt5Tokenizer;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * The readers the fuzzer attacks: a small valid file of each format (made here), and the public
 * entry point the engine reads that format with. Each reader's documented failure is one
 * exception type ({@link CheckpointException} for checkpoints, tokenizers and configs,
 * {@link MediaException} for media); anything else is a finding.
 */
final class Targets {
    interface Reader {
        void read(Path file) throws Exception;
    }

    record Target(String name, String fileName, byte[] valid, Reader reader, Class<? extends Exception> documented) {
    }

    static final String SAMPLE = "A person talking, 12 ½ ☺ … ＡＢ 👍🏽 ab ab";

    private Targets() {
    }

    static List<Target> all(Path tmp) throws IOException {
        return List.of(
                new Target("safetensors", "x.safetensors", safetensors(tmp), f -> readAll(SafetensorsFile.open(f)), CheckpointException.class),
                new Target("zip/pth", "x.pth", pth(tmp), f -> readAll(Checkpoint.open(f)), CheckpointException.class),
                new Target("pickle", "x.pth", pth(tmp), f -> readAll(Checkpoint.open(f)), CheckpointException.class),
                new Target("wav", "x.wav", wav(), WavReader::read, MediaException.class),
                new Target("png", "x.png", image("png"), ImageFiles::read, MediaException.class),
                new Target("jpeg", "x.jpg", image("jpeg"), ImageFiles::read, MediaException.class),
                new Target("spiece.model", "spiece.model", resource("/livetalk/cli/demo/spiece.model"),
                        f -> Umt5Tokenizer.fromDirectory(f.getParent()).encode(SAMPLE), CheckpointException.class),
                new Target("tokenizer.json", "tokenizer.json", tokenizerJson(),
                        f -> Umt5Tokenizer.fromDirectory(f.getParent()).encode(SAMPLE), CheckpointException.class),
                new Target("config.json", "config.json", configJson(), Targets::config, CheckpointException.class));
    }

    /** [start, end) of the first stored zip member ({@code data.pkl}) in an archive, from its local header. */
    static int[] firstMemberSpan(byte[] zip) {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int size = b.getInt(18), nameLen = b.getShort(26) & 0xFFFF, extraLen = b.getShort(28) & 0xFFFF;
        int start = 30 + nameLen + extraLen;
        return new int[] {start, start + size};
    }

    private static void readAll(Checkpoint ck) {
        try (ck) {
            for (String n : ck.names()) {
                Tensor t = ck.get(n);
                if (t.numel() > 1 << 20) continue;
                if (t.dtype() == DType.I64) t.toLongArray(); else t.toFloatArray();
            }
        }
    }

    private static void config(Path f) throws IOException {
        try {
            Object o = Json.parse(Files.readString(f));
            if (!(o instanceof Map<?, ?>)) throw new CheckpointException(f + ": not a JSON object");
        } catch (Json.ParseException e) {
            throw new CheckpointException(f + ": not well-formed JSON: " + e.getMessage());
        } catch (java.nio.charset.MalformedInputException e) {
            throw new CheckpointException(f + ": not UTF-8");
        }
    }

    private static byte[] safetensors(Path tmp) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("w", Tensor.wrap(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        t.put("ids", Tensor.wrap(new long[] {1, 2, 3}, 3));
        Path p = tmp.resolve("seed.safetensors");
        SafetensorsWriter.write(p, t, Map.of("format", "pt"));
        return Files.readAllBytes(p);
    }

    private static byte[] pth(Path tmp) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("encoder.weight", Tensor.wrap(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        t.put("encoder.bias", Tensor.wrap(new float[] {0.5f, -1}, 2));
        t.put("steps", Tensor.wrap(new long[] {7}, 1));
        Path p = tmp.resolve("seed.pth");
        PthWriter.write(p, t);
        return Files.readAllBytes(p);
    }

    private static byte[] wav() {
        int n = 400;
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + 2 * n).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16)
                .putShort((short) 1).putShort((short) 1).putInt(16000).putInt(32000).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes()).putInt(2 * n);
        for (int i = 0; i < n; i++) b.putShort((short) (8000 * Math.sin(i * 0.1)));
        return b.array();
    }

    private static byte[] image(String format) throws IOException {
        BufferedImage img = new BufferedImage(24, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) for (int x = 0; x < 24; x++) img.setRGB(x, y, (x * 10) << 16 | (y * 15) << 8 | (x * y));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, format, out);
        return out.toByteArray();
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = Targets.class.getResourceAsStream(name)) {
            if (in == null) throw new IOException("resource " + name + " missing");
            return in.readAllBytes();
        }
    }

    private static byte[] tokenizerJson() {
        return ("{\"version\": \"1.0\", \"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Replace\", "
                + "\"pattern\": {\"String\": \" \"}, \"content\": \"\u2581\"}, {\"type\": \"Prepend\", \"prepend\": \"\u2581\"}]}, "
                + "\"model\": {\"type\": \"Unigram\", \"unk_id\": 2, \"byte_fallback\": false, \"vocab\": [[\"<pad>\", 0.0], [\"</s>\", 0.0], "
                + "[\"<unk>\", 0.0], [\"\u2581\", -2.0], [\"a\", -3.0], [\"\u2581a\", -1.5], [\"b\", -3.5], [\"ab\", -2.5]]}, "
                + "\"added_tokens\": [{\"id\": 0, \"content\": \"<pad>\", \"special\": true}, {\"id\": 1, \"content\": \"</s>\", \"special\": true}]}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] configJson() {
        return ("{\"hidden_size\": 768, \"num_hidden_layers\": 12, \"conv_dim\": [512, 512, 512], \"feat_extract_norm\": \"group\", "
                + "\"layer_norm_eps\": 1e-05, \"do_stable_layer_norm\": false, \"architectures\": [\"Wav2Vec2ForCTC\"], \"x\": null}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
