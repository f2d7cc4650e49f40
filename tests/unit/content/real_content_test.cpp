// Content vectors of the real MyAnimeList 2016 metadata (../shared/data);
// skipped, saying so, when that folder is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "animerec/content/content.h"
#include "animerec/data/prepare.h"
#include "test_support.h"

namespace animerec::content {
namespace {

TEST(ContentRealDataTest, Mal2016GenresAndExplanation) {
  std::string dir = testing::shared_data_dir();
  std::string anime = dir + "/mal-cooperunion-2016/anime.csv";
  std::string ratings = dir + "/mal-cooperunion-2016/rating_tail97470.csv";
  if (dir.empty() || !std::filesystem::exists(anime) || !std::filesystem::exists(ratings)) {
    GTEST_SKIP() << "shared data absent";
  }
  data::PrepareOptions o;
  o.ratings_path = ratings;
  o.anime_path = anime;
  o.quiet = true;
  data::BadRowLog log(data::BadRowPolicy::kError);
  data::Dataset d = data::prepare_dataset(o, log);

  // What the trainer will pass: anime with at least one training rating.
  std::vector<uint8_t> warm(d.n_anime(), 0);
  for (size_t i = 0; i < d.n_ratings(); ++i) {
    if (d.by_anime.split[i] == static_cast<uint8_t>(data::Split::kTrain)) {
      warm[d.by_anime.anime[i]] = 1;
    }
  }
  ContentOptions options;
  Vocabulary v = build_vocabulary(d.anime, warm, options);
  EXPECT_EQ(std::count(v.groups.begin(), v.groups.end(), "genre"), 43);
  auto n = static_cast<int32_t>(d.n_anime());
  ContentMatrix c = build_content(d.anime, v, 0, n, options);
  ASSERT_EQ(c.n_rows(), n);

  // Kimi no Na wa. when this slice has it, else the first anime with genres.
  auto it = std::find(d.anime_ids.begin(), d.anime_ids.end(), 32281);
  int32_t a = it != d.anime_ids.end() ? static_cast<int32_t>(it - d.anime_ids.begin()) : -1;
  const auto& g = d.anime.genres;
  for (int32_t i = 0; a < 0 && i < n; ++i) {
    if (g.offsets[i + 1] > g.offsets[i]) a = i;
  }
  ASSERT_GE(a, 0);
  std::string text = explain(c, a, v, 10);
  for (int64_t k = g.offsets[a]; k < g.offsets[a + 1]; ++k) {
    EXPECT_NE(text.find(g.vocab[g.values[k]]), std::string::npos) << text;
  }
  EXPECT_NEAR(cosine(c, a, c, a), 1.0f, 1e-6);
  RecordProperty("explain", text);
}

}  // namespace
}  // namespace animerec::content
