/**
 * Random-weight models in the official layouts, from one generator ({@link livetalk.testkit.RandomWeights}):
 * for tests, benchmarks and the demo, never for a real model. Uses model and below; production
 * modules must not depend on it (the sampler uses it in its tests only, the commands for the demo
 * and benchmarks). Tests of the model that need whole random models live in this module's tests,
 * in the model's packages, because model cannot depend on testkit.
 */
package livetalk.testkit;
