package livetalk.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.kernels.Weight;
import livetalk.kernels.cuda.Bf16OperandBackend;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The CPU backends keep GEMM operands in float32 ({@link Backend#operandDtype()} F32), so the model
 * allocates no bf16 operand buffers there and nothing about the CPU path changes; a bf16 buffer
 * passed where CUDA would take an operand is refused with a message that says why.
 */
class OperandDtypeTest {
    private final CpuBackend cpu = new CpuBackend(1);

    @Test
    void cpuBackendsReportFloat32Operands() {
        assertEquals(DType.F32, cpu.operandDtype());
        assertEquals(DType.F32, new Bf16OperandBackend(cpu).operandDtype());
    }

    @Test
    void operandOpsRefuseBf16BuffersOnTheCpu() {
        int rows = 3, dim = 8;
        Buf f = cpu.alloc(rows * dim), h = cpu.alloc(rows * dim, DType.BF16), vec = cpu.alloc(dim);
        Weight w = cpu.weight(Tensor.wrap(new float[dim * dim], dim, dim));
        Runnable[] ops = {
            () -> cpu.linear(h, f, rows, w, null), () -> cpu.linear(f, h, rows, w, null),
            () -> cpu.linearGelu(h, f, rows, w, null), () -> cpu.linearGelu(f, h, rows, w, null),
            () -> cpu.attention(h, f, f, f, rows, rows, 1, dim, 1f, null), () -> cpu.attention(f, f, f, h, rows, rows, 1, dim, 1f, null),
            () -> cpu.layerNorm(f, h, rows, dim, 1e-6f, null, null), () -> cpu.modulate(f, vec, vec, h, rows, dim),
        };
        for (Runnable op : ops) {
            KernelException e = assertThrows(KernelException.class, op::run);
            assertTrue(e.getMessage().contains("bf16 buffer passed to an op that takes float32")
                    && e.getMessage().contains("operandDtype() is F32"), e.getMessage());
        }
    }
}
