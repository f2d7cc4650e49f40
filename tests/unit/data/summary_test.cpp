#include "animerec/data/summary.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "sample_dataset.h"

namespace animerec::data {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text)) {
    if (l == line) return true;
  }
  return false;
}

TEST(SummaryTest, SizesAndDensity) {
  std::string s = dataset_summary(testing::sample_dataset(), "data/dataset.h5");
  EXPECT_EQ(lines_of(s).front(), "Dataset data/dataset.h5");
  EXPECT_TRUE(has_line(s, "  rating rows           8")) << s;
  EXPECT_TRUE(has_line(s, "  users                 3")) << s;
  EXPECT_TRUE(has_line(s, "  anime                 4")) << s;
  EXPECT_TRUE(has_line(s, "  density       66.6667 %")) << s;
  EXPECT_TRUE(has_line(s, "  score scale     1 .. 10")) << s;
}

TEST(SummaryTest, ScoredRowsAndStatusBreakdown) {
  std::string s = dataset_summary(testing::sample_dataset(), "d.h5");
  EXPECT_TRUE(has_line(s, "  scored     6   75.00 %")) << s;
  EXPECT_TRUE(has_line(s, "  unscored   2   25.00 %")) << s;
  EXPECT_TRUE(has_line(s, "  status            rows     share   scored")) << s;
  EXPECT_TRUE(has_line(s, "  completed            3   37.50 %        3")) << s;
  EXPECT_TRUE(has_line(s, "  plan_to_watch        1   12.50 %        0")) << s;
  EXPECT_TRUE(has_line(s, "  watched_unrated      1   12.50 %        0")) << s;
  // Statuses without rows are left out.
  EXPECT_EQ(s.find("unknown"), std::string::npos) << s;
}

TEST(SummaryTest, HistogramPerIntegerScore) {
  std::string s = dataset_summary(testing::sample_dataset(), "d.h5");
  EXPECT_TRUE(has_line(s, "      1      0    0.00 %")) << s;
  EXPECT_TRUE(has_line(s, "     10      1   16.67 %   " + std::string(40, '#'))) << s;
}

TEST(SummaryTest, HistogramPerHalfPointOnHalfStepScales) {
  Dataset d = testing::sample_dataset();
  d.score_min = 0.5f;
  d.score_max = 5;
  for (auto& s : d.by_user.score) s /= 2;  // 8 -> 4, 7 -> 3.5, ...
  build_anime_orientation(d);
  std::string s = dataset_summary(d, "d.h5");
  EXPECT_TRUE(has_line(s, "  score scale    0.5 .. 5")) << s;
  EXPECT_TRUE(has_line(s, "    0.5      0    0.00 %")) << s;
  EXPECT_NE(s.find("\n    3.5      1   16.67 %"), std::string::npos) << s;
  EXPECT_NE(s.find("\n    5.0      1   16.67 %"), std::string::npos) << s;
}

TEST(SummaryTest, SplitSizesAndColdAnime) {
  std::string s = dataset_summary(testing::sample_dataset(), "d.h5");
  EXPECT_TRUE(has_line(s, "  part         rows     share   scored   users   anime")) << s;
  EXPECT_TRUE(has_line(s, "  train           4   50.00 %        3       3       2")) << s;
  EXPECT_TRUE(has_line(s, "  validation      1   12.50 %        1       1       1")) << s;
  EXPECT_TRUE(has_line(s, "  test            3   37.50 %        2       2       2")) << s;
  EXPECT_TRUE(has_line(s, "  cold anime (every rating in test): 1")) << s;
}

TEST(SummaryTest, CountsAndProvenance) {
  std::string s = dataset_summary(testing::sample_dataset(), "d.h5");
  EXPECT_TRUE(has_line(s, "  dropped_duplicate           1")) << s;
  EXPECT_TRUE(has_line(s, "  rows_read                  10")) << s;
  EXPECT_TRUE(has_line(s, "  program version   0.1.0")) << s;
  EXPECT_TRUE(has_line(s, "  build commit      abc123def456")) << s;
  EXPECT_TRUE(has_line(s, "    ratings: animelist.csv")) << s;
  EXPECT_TRUE(has_line(s, "      layout mal2023, 1,234,567 bytes (1.2 MiB)")) << s;
  EXPECT_TRUE(has_line(s, "      sha256 " + std::string(64, 'a'))) << s;
  EXPECT_TRUE(has_line(s, "    test_fraction    = 0.2")) << s;
}

TEST(SummaryTest, EmptyDatasetAndStableText) {
  Dataset d;
  d.user_offsets = {0};
  d.anime_offsets = {0};
  d.anime.resize(0);
  std::string s = dataset_summary(d, "empty.h5");
  EXPECT_TRUE(has_line(s, "  no scored rows")) << s;
  EXPECT_TRUE(has_line(s, "  none recorded")) << s;
  EXPECT_EQ(s, dataset_summary(d, "empty.h5"));
  Dataset sample = testing::sample_dataset();
  EXPECT_EQ(dataset_summary(sample, "x"), dataset_summary(sample, "x"));
}

}  // namespace
}  // namespace animerec::data
