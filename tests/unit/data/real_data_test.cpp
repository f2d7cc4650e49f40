// The real MyAnimeList slices kept beside the project (../shared/data). These
// tests skip, saying so, when that folder is absent; CI has it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "animerec/data/prepare.h"
#include "test_support.h"

namespace animerec::data {
namespace {

std::string shared(const std::string& rel) {
  std::string dir = testing::shared_data_dir();
  return dir.empty() ? std::string() : dir + "/" + rel;
}

Dataset prepare_real(const std::string& ratings, const std::string& anime) {
  PrepareOptions o;
  o.ratings_path = ratings;
  o.anime_path = anime;
  o.quiet = true;
  BadRowLog log(BadRowPolicy::kError);
  Dataset d = prepare_dataset(o, log);
  validate(d, ratings);
  return d;
}

TEST(RealDataTest, CaseRec5kUsersWith2016Metadata) {
  std::string ratings = shared("mal-cooperunion-caserec-5k/rating_5k_users.csv");
  if (ratings.empty() || !std::filesystem::exists(ratings)) GTEST_SKIP() << "shared data absent";
  Dataset d = prepare_real(ratings, shared("mal-cooperunion-2016/anime.csv"));
  const auto& c = d.provenance.counts;
  EXPECT_EQ(d.n_ratings(), 520609u);
  EXPECT_EQ(d.n_users(), 5000u);
  EXPECT_EQ(c.at("scored_rows"), 419943);
  EXPECT_EQ(c.at("unscored_rows"), 100666);
  EXPECT_EQ(d.n_anime(), 7390u);
  EXPECT_EQ(c.at("anime_without_metadata"), 0);
  EXPECT_EQ(c.at("metadata_rows"), 12294);
  EXPECT_EQ(d.provenance.inputs[0].sha256,
            "77c42394caedbbbdd037f3f085ac57c983e092ace81fcc7de2a3f2014bb1fa27");
  EXPECT_EQ(d.provenance.inputs[1].sha256,
            "26c27b66120342544f19c9acb575e3dcbf37d46d1898ae57be3167eb0284a845");
  // HTML entities in names are decoded.
  auto title_of = [&](int64_t id) {
    auto it = std::find(d.anime_ids.begin(), d.anime_ids.end(), id);
    return it == d.anime_ids.end() ? std::string("(absent)")
                                   : d.anime.title[it - d.anime_ids.begin()];
  };
  EXPECT_EQ(title_of(9969), "Gintama'");
  EXPECT_EQ(title_of(30458), "Tokyo Ghoul: \"Jack\"");
}

TEST(RealDataTest, Tail97470Rows) {
  std::string ratings = shared("mal-cooperunion-2016/rating_tail97470.csv");
  if (ratings.empty() || !std::filesystem::exists(ratings)) GTEST_SKIP() << "shared data absent";
  Dataset d = prepare_real(ratings, "");
  EXPECT_EQ(d.n_ratings(), 97470u);
  EXPECT_EQ(d.n_users(), 956u);
  EXPECT_EQ(d.n_anime(), 5560u);
  EXPECT_EQ(d.provenance.counts.at("unscored_rows"), 19319);
}

}  // namespace
}  // namespace animerec::data
