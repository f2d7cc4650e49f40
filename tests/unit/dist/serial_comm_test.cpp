// SerialComm: the one-rank meaning of every collective.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "animerec/dist/comm.h"

namespace animerec::dist {
namespace {

TEST(SerialComm, IsRankZeroOfOne) {
  SerialComm comm;
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.size(), 1);
}

TEST(SerialComm, AllgathervCopiesEveryType) {
  SerialComm comm;
  const std::vector<float> f = {1.5f, -2.0f};
  std::vector<float> f_all(2);
  comm.allgatherv(f, f_all, {2});
  EXPECT_EQ(f_all, f);
  const std::vector<double> d = {0.1, 0.2, 0.3};
  std::vector<double> d_all(3);
  comm.allgatherv(d, d_all, {3});
  EXPECT_EQ(d_all, d);
  const std::vector<int64_t> i = {int64_t{1} << 60};
  std::vector<int64_t> i_all(1);
  comm.allgatherv(i, i_all, {1});
  EXPECT_EQ(i_all, i);
  std::vector<float> none;
  comm.allgatherv(std::span<const float>(), none, {0});
}

TEST(SerialComm, AllgathervInPlace) {
  SerialComm comm;
  std::vector<double> all = {4.0, 5.0};
  comm.allgatherv(std::span<const double>(all), all, {2});
  EXPECT_EQ(all, (std::vector<double>{4.0, 5.0}));
}

TEST(SerialComm, AllgathervRejectsMismatchedCounts) {
  SerialComm comm;
  const std::vector<float> mine = {1.0f, 2.0f};
  std::vector<float> all(2);
  EXPECT_THROW(comm.allgatherv(mine, all, {2, 0}), Error);
  EXPECT_THROW(comm.allgatherv(mine, all, {3}), Error);
  std::vector<float> too_long(3);
  EXPECT_THROW(comm.allgatherv(mine, too_long, {2}), Error);
}

TEST(SerialComm, ReductionsBroadcastAndBarrierKeepValues) {
  SerialComm comm;
  std::vector<int64_t> values = {-3, int64_t{1} << 62};
  comm.allreduce_sum(values);
  EXPECT_EQ(values, (std::vector<int64_t>{-3, int64_t{1} << 62}));
  EXPECT_EQ(comm.allreduce_max(-7), -7);
  std::string text("kept\0too", 8);
  comm.broadcast(text, 0);
  EXPECT_EQ(text, std::string("kept\0too", 8));
  comm.barrier();
}

TEST(SerialComm, AllgatherOfTextsIsTheOwnTextAndTheLibraryIsNone) {
  SerialComm comm;
  EXPECT_EQ(comm.allgather("host-a"), std::vector<std::string>{"host-a"});
  EXPECT_EQ(comm.library_version(), "none (serial)");
}

TEST(SerialComm, AbortExitsWithTheCodeAfterFlushing) {
  EXPECT_EXIT(
      {
        SerialComm comm;
        std::fprintf(stderr, "last words");  // no newline: only a flush shows it
        comm.abort(3);
      },
      ::testing::ExitedWithCode(3), "last words");
}

}  // namespace
}  // namespace animerec::dist
