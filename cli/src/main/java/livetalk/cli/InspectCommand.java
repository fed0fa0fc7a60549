package livetalk.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import livetalk.io.Checkpoint;
import livetalk.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Lists a checkpoint's tensors and metadata (safetensors or PyTorch .pth). */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List the tensors (name, dtype, shape, bytes) and metadata of a safetensors or PyTorch checkpoint.")
final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "a .safetensors, .pth, .pt or .bin file")
    Path file;

    @Override
    public Integer call() {
        try (Checkpoint ck = Checkpoint.open(file)) {
            long total = 0, params = 0;
            int nameWidth = 4;
            for (String n : ck.names()) nameWidth = Math.max(nameWidth, n.length());
            System.out.printf("%-" + nameWidth + "s  %-5s  %-24s  %s%n", "name", "dtype", "shape", "bytes");
            for (String n : ck.names()) {
                Tensor t = ck.get(n);
                System.out.printf("%-" + nameWidth + "s  %-5s  %-24s  %d%n", n, t.dtype(), Arrays.toString(t.shape()), t.byteSize());
                total += t.byteSize();
                params += t.numel();
            }
            System.out.printf("%d tensors, %d elements, %d bytes%n", ck.names().size(), params, total);
            for (Map.Entry<String, String> e : ck.metadata().entrySet()) {
                String v = e.getValue();
                System.out.println("metadata " + e.getKey() + " = " + (v.length() > 200 ? v.substring(0, 200) + "..." : v));
            }
        }
        return 0;
    }
}
