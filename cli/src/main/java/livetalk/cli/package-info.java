/**
 * The {@code livetalk} commands (picocli), one class each, and the options they share
 * ({@link livetalk.cli.BackendOptions}). Thin: parse, call the layers below, print. May use everything;
 * nothing uses it but the launcher and the cross-module tests.
 */
package livetalk.cli;
