// expect_error(body, {fragments}): `body` must throw convforge::Error whose message
// holds every fragment.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "convforge/convforge.h"

namespace convforge::testing {

template <typename Body>
void expect_error(Body body, std::initializer_list<const char *> fragments) {
    try {
        body();
        ADD_FAILURE() << "no error thrown";
    } catch (const Error &e) {
        for (const char *f : fragments) EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
    }
}

}  // namespace convforge::testing
