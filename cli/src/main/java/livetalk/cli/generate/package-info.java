/**
 * One {@code generate} run: the model layout on disk, input checks, conditioning, the streaming
 * pipeline, progress and frame output (docs/architecture.md#data-path). Used by {@code generate} and
 * {@code demo}.
 */
package livetalk.cli.generate;
