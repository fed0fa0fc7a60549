// The failure counter of the host layout tests (attention_sm90_layout_test.cpp,
// conv_layout_test.cpp): CHECK records a failed condition with a printf-style message, prints the
// first 20 while `verbose` (the mutant runs turn it off and only count), and keeps the first
// message for the mutant report.
#pragma once
#include <cstdio>
#include <string>

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
