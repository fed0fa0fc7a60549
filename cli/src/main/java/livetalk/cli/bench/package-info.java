/**
 * Benchmark bodies that are too long for their command classes (the encoder timings). Used by the
 * {@code bench-*} commands only.
 */
package livetalk.cli.bench;
