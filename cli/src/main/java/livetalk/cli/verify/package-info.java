/**
 * The golden checks behind {@code livetalk verify}: one class per golden file, the report with the
 * fixed tolerances (docs/numerics.md#verify). Used by the verify command and the cross-module tests.
 */
package livetalk.cli.verify;
