#pragma once
// What the MPI tests share: the world communicator tests/mpi/main.cpp creates
// once (real MPI even at one rank).
//
// Rules for tests in this folder (each tests/mpi/*_test.cpp becomes the CTest
// tests mpi.<file stem>.np1 ... np4; no CMake edit needed):
//  - every rank runs every test, in the same order, so collectives pair up;
//  - make all collective calls before any ASSERT_* that could return early on
//    some ranks only, or the others wait forever (until the CTest TIMEOUT);
//  - check results with EXPECT_* on every rank; main.cpp reports a test that
//    failed on any rank and makes every rank's exit code non-zero;
//  - TempDir and the helpers of tests/support/test_support.h are available;
//    each rank gets its own TempDir.

#include "animerec/dist/comm.h"

namespace animerec::testing {

dist::Comm& world();

}  // namespace animerec::testing
