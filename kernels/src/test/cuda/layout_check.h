// The failure counter of the host layout tests (attention_sm90_layout_test.cpp,
// conv_layout_test.cpp): CHECK records a failed condition with a printf-style message, prints the
// first 20 while `verbose` (the mutant runs turn it off and only count), and keeps the first
// message for the mutant report.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

static int failures = 0;
static bool verbose = true;
static std::string firstFailure;

#define CHECK(cond, ...)                                                 \
    do {                                                                 \
        if (!(cond)) {                                                   \
            char msg_[400];                                              \
            std::snprintf(msg_, sizeof msg_, __VA_ARGS__);               \
            if (failures == 0) firstFailure = msg_;                      \
            if (verbose && failures < 20) std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, msg_); \
            failures++;                                                  \
        }                                                                \
    } while (0)

// Runs each mutant through `run` with the failure messages off and says whether the checks caught
// it (at least one failure); returns how many none of them caught.
template <typename Impl, typename Run>
static int missedMutants(const std::vector<Impl>& mutants, Run run) {
    int missed = 0;
    verbose = false;
    for (const Impl& m : mutants) {
        failures = 0;
        firstFailure.clear();
        run(m);
        if (failures == 0) {
            std::printf("FAIL mutant '%s' passes every check\n", m.name);
            missed++;
        } else {
            std::printf("  mutant caught: %-45s (%d failures; first: %.150s)\n", m.name, failures, firstFailure.c_str());
        }
    }
    return missed;
}
