// MeteredComm: forwards every call unchanged and counts the payload each
// collective must deliver (docs in dist/metered_comm.h).
#include "animerec/dist/metered_comm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace animerec::dist {
namespace {

// Rank `rank` of a pretend world of `size`: collectives act as if every other
// rank contributed zeros (allgatherv), the same values (sum), nothing more
// (max) or a fixed text (broadcast from another root).
class FakeComm final : public Comm {
 public:
  FakeComm(int rank, int size) : rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allgatherv(std::span<const float> mine, std::span<float> all,
                  const std::vector<int64_t>& counts) override {
    place(mine, all, counts);
  }
  void allgatherv(std::span<const double> mine, std::span<double> all,
                  const std::vector<int64_t>& counts) override {
    place(mine, all, counts);
  }
  void allgatherv(std::span<const int64_t> mine, std::span<int64_t> all,
                  const std::vector<int64_t>& counts) override {
    place(mine, all, counts);
  }
  void allreduce_sum(std::span<int64_t> values) override {
    for (int64_t& v : values) v *= size_;
  }
  int allreduce_max(int value) override { return value + 1; }
  void broadcast(std::string& text, int root) override {
    if (root != rank_) text = "from the root";
  }
  void barrier() override {}
  std::vector<std::string> allgather(const std::string& mine) override {
    std::vector<std::string> all(static_cast<size_t>(size_), "xy");
    all[static_cast<size_t>(rank_)] = mine;
    return all;
  }
  std::string library_version() const override { return "fake"; }
  [[noreturn]] void abort(int) override { std::abort(); }

 private:
  template <typename T>
  void place(std::span<const T> mine, std::span<T> all, const std::vector<int64_t>& counts) {
    std::fill(all.begin(), all.end(), T{});
    int64_t at = 0;
    for (int r = 0; r < rank_; ++r) at += counts[static_cast<size_t>(r)];
    std::copy(mine.begin(), mine.end(), all.begin() + at);
  }
  int rank_, size_;
};

TEST(MeteredComm, AllgathervCountsOwnPartOutAndTheOthersIn) {
  FakeComm inner(1, 3);
  MeteredComm comm(inner);
  const std::vector<float> mine = {1.0f, 2.0f};
  std::vector<float> all(7);
  comm.allgatherv(mine, all, {3, 2, 2});
  EXPECT_EQ(all, (std::vector<float>{0, 0, 0, 1, 2, 0, 0})) << "the call is forwarded";
  EXPECT_EQ(comm.traffic().calls, 1);
  EXPECT_EQ(comm.traffic().bytes_sent, 2 * 4 * 2);  // own part to each of 2 others
  EXPECT_EQ(comm.traffic().bytes_received, 5 * 4);  // the 5 floats of the others
  const std::vector<int64_t> one = {9};
  std::vector<int64_t> three(3);
  comm.allgatherv(std::span<const int64_t>(one), three, {1, 1, 1});
  EXPECT_EQ(comm.traffic().calls, 2);
  EXPECT_EQ(comm.traffic().bytes_sent, 16 + 8 * 2);
  EXPECT_EQ(comm.traffic().bytes_received, 20 + 8 * 2);
  EXPECT_GE(comm.traffic().seconds, 0.0);
}

TEST(MeteredComm, ReductionsSendAndReceiveTheirValues) {
  FakeComm inner(0, 4);
  MeteredComm comm(inner);
  std::vector<int64_t> values = {1, 2, 3};
  comm.allreduce_sum(values);
  EXPECT_EQ(values, (std::vector<int64_t>{4, 8, 12}));
  EXPECT_EQ(comm.allreduce_max(5), 6);
  EXPECT_EQ(comm.traffic().calls, 2);
  EXPECT_EQ(comm.traffic().bytes_sent, 3 * 8 + 4);
  EXPECT_EQ(comm.traffic().bytes_received, 3 * 8 + 4);
}

TEST(MeteredComm, BroadcastCountsTheLengthAndTheText) {
  FakeComm inner(0, 3);
  MeteredComm root(inner);
  std::string text = "abcd";
  root.broadcast(text, 0);
  EXPECT_EQ(root.traffic().bytes_sent, (8 + 4) * 2);
  EXPECT_EQ(root.traffic().bytes_received, 0);

  FakeComm other_inner(2, 3);
  MeteredComm other(other_inner);
  std::string got;
  other.broadcast(got, 0);
  EXPECT_EQ(got, "from the root");
  EXPECT_EQ(other.traffic().bytes_sent, 0);
  EXPECT_EQ(other.traffic().bytes_received, 8 + 13);

  const std::vector<std::string> all = other.allgather("hello");
  EXPECT_EQ(all, (std::vector<std::string>{"xy", "xy", "hello"}));
  EXPECT_EQ(other.traffic().bytes_sent, (8 + 5) * 2);
  EXPECT_EQ(other.traffic().bytes_received, 8 + 13 + 2 * (8 + 2));
}

TEST(MeteredComm, OneRankMovesNoBytesButCountsCallsAndTime) {
  SerialComm inner;
  MeteredComm comm(inner);
  const std::vector<float> mine = {1.0f, 2.0f, 3.0f};
  std::vector<float> all(3);
  comm.allgatherv(mine, all, {3});
  std::vector<int64_t> values = {7};
  comm.allreduce_sum(values);
  std::string text = "t";
  comm.broadcast(text, 0);
  comm.barrier();
  EXPECT_EQ(all, mine);
  EXPECT_EQ(comm.traffic().calls, 4);
  EXPECT_EQ(comm.traffic().bytes_sent, 0);
  EXPECT_EQ(comm.traffic().bytes_received, 0);
  EXPECT_EQ(comm.size(), 1);
  EXPECT_EQ(comm.library_version(), "none (serial)");
}

TEST(MeteredComm, DifferenceOfTwoReadingsIsTheTrafficBetween) {
  FakeComm inner(0, 2);
  MeteredComm comm(inner);
  std::vector<int64_t> values = {1};
  comm.allreduce_sum(values);
  const Traffic before = comm.traffic();
  comm.allreduce_sum(values);
  comm.allreduce_sum(values);
  const Traffic between = comm.traffic() - before;
  EXPECT_EQ(between.calls, 2);
  EXPECT_EQ(between.bytes_sent, 16);
  EXPECT_EQ(between.bytes_received, 16);
}

}  // namespace
}  // namespace animerec::dist
