/**
 * Cross-module tests: golden parity, {@code generate} and {@code verify} end to end, the docs'
 * citations. May use every module.
 */
package livetalk.tests;
