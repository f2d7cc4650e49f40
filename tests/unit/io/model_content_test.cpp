// The optional /content group of model.h5 (the hybrid prior): round trip,
// absence for plain models, and damaged parts rejected with their field name.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "animerec/core/error.h"
#include "animerec/io/model_file.h"
#include "checksum_python.h"
#include "test_support.h"

namespace animerec::io {
namespace {

using animerec::testing::have_h5py;
using animerec::testing::run_python;
using animerec::testing::TempDir;
using model::ContentPart;
using model::Model;

// 2 users, 3 anime, k = 2, 4 features; anime 1 has an empty content row.
Model hybrid_model() {
  Model m;
  m.feedback = als::Feedback::kExplicit;
  m.factors = 2;
  m.global_mean = 7.0f;
  m.user_ids = {1, 2};
  m.anime_ids = {10, 11, 12};
  m.anime_titles = {"a", "b", "c"};
  m.user_factors = als::FactorMatrix::Constant(2, 2, 0.25f);
  m.anime_factors = als::FactorMatrix::Constant(3, 2, -0.5f);
  m.user_bias = {0.1f, 0.2f};
  m.anime_bias = {0.3f, 0.4f, 0.5f};
  m.dataset_sha256 = std::string(64, 'a');
  ContentPart c;
  c.lambda_content = 2.5;
  c.ridge = 1.0;
  c.names = {"Action", "Drama", "TV", "synopsis: mecha"};
  c.groups = {"genre", "genre", "type", "synopsis"};
  c.idf = {1.0f, 1.0f, 1.0f, 2.75f};
  c.offsets = {0, 3, 3, 5};
  c.cols = {0, 2, 3, 1, 2};
  c.values = {0.7071f, 0.5f, 1.0f, 1.0f, 0.5f};
  c.w.resize(4, 2);
  c.w << 0.1f, -0.2f, 0.3f, 1e-30f, -0.0f, 0.5f, 2.0f, -1.5f;
  c.w_bias = {0.05f, -0.25f, 0.0f, 1.0f};
  m.content = c;
  return m;
}

bool same_floats(const float* a, const float* b, size_t n) {
  return n == 0 || std::memcmp(a, b, n * sizeof(float)) == 0;
}

TEST(ModelContentTest, RoundTripKeepsTheContentPartBitExact) {
  TempDir dir;
  const std::string path = dir.file("model.h5");
  const Model m = hybrid_model();
  write_model(m, path, false);
  const Model r = read_model(path);
  ASSERT_TRUE(r.content.has_value());
  const ContentPart& a = *m.content;
  const ContentPart& b = *r.content;
  EXPECT_EQ(a.lambda_content, b.lambda_content);
  EXPECT_EQ(a.ridge, b.ridge);
  EXPECT_EQ(a.names, b.names);
  EXPECT_EQ(a.groups, b.groups);
  EXPECT_TRUE(same_floats(a.idf.data(), b.idf.data(), a.idf.size()));
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_EQ(a.cols, b.cols);
  EXPECT_TRUE(same_floats(a.values.data(), b.values.data(), a.values.size()));
  ASSERT_EQ(b.w.rows(), 4);
  ASSERT_EQ(b.w.cols(), 2);
  EXPECT_TRUE(same_floats(a.w.data(), b.w.data(), 8));
  EXPECT_TRUE(same_floats(a.w_bias.data(), b.w_bias.data(), a.w_bias.size()));
}

TEST(ModelContentTest, PlainModelHasNoContentGroup) {
  TempDir dir;
  const std::string path = dir.file("model.h5");
  Model m = hybrid_model();
  m.content.reset();
  write_model(m, path, false);
  EXPECT_FALSE(read_model(path).content.has_value());
}

void expect_write_refused(void (*damage)(ContentPart&), const std::string& field) {
  TempDir dir;
  Model m = hybrid_model();
  damage(*m.content);
  try {
    write_model(m, dir.file("model.h5"), false);
    FAIL() << "expected IoError naming " << field;
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("field " + field + ":"), std::string::npos) << e.what();
  }
}

TEST(ModelContentTest, WriteRefusesInconsistentContent) {
  expect_write_refused([](ContentPart& c) { c.cols[1] = 4; }, "/content/cols");
  expect_write_refused([](ContentPart& c) { c.offsets[2] = 1; }, "/content/offsets");
  expect_write_refused([](ContentPart& c) { c.offsets.pop_back(); }, "/content/offsets");
  expect_write_refused([](ContentPart& c) { c.w.conservativeResize(3, 2); }, "/content/w");
  expect_write_refused([](ContentPart& c) { c.w_bias.pop_back(); }, "/content/w_bias");
  expect_write_refused([](ContentPart& c) { c.groups.pop_back(); }, "/content/groups");
  expect_write_refused([](ContentPart& c) { c.lambda_content = 0; }, "/content/@lambda_content");
}

// h5py damages one part of a written hybrid model; the reader names it.
void expect_read_refused(const std::string& python, const std::string& message) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  const std::string path = dir.file("model.h5");
  write_model(hybrid_model(), path, false);
  ASSERT_EQ(run_python(dir, std::string(testing::kOpenWithRestampPython) + python, path), 0);
  try {
    read_model(path);
    FAIL() << "expected IoError: " << message;
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), path + message);
  }
}

TEST(ModelContentTest, ColumnOutOfRangeIsRejected) {
  expect_read_refused("f['content/cols'][1] = 7\nrestamp('content/cols')",
                      ": field /content/cols: has 7 at index 1, expected a feature index in [0, "
                      "4) (the number of features in /content/names)");
}

TEST(ModelContentTest, DecreasingOffsetsAreRejected) {
  expect_read_refused("f['content/offsets'][2] = 1\nrestamp('content/offsets')",
                      ": field /content/offsets: decreases at index 2 (1 after 3)");
}

TEST(ModelContentTest, MapRowsNotMatchingFeaturesAreRejected) {
  expect_read_refused(
      "del f['content/w']\nf['content'].create_dataset('w', data=np.zeros((3, 2), np.float32))",
      ": field /content/w: has 3 rows, expected 4 (the number of features in /content/names)");
}

}  // namespace
}  // namespace animerec::io

namespace animerec::io {
namespace {

// The hybrid model with a ranking part (k = 3) that has the ranking prior and
// its popularity term: content_w maps the 4 /content features to 3 factors.
Model ranked_hybrid_model() {
  Model m = hybrid_model();
  model::RankingPart r;
  r.alpha = 2;
  r.lambda = 0.05;
  r.blend = 0.1;
  r.user_factors = als::FactorMatrix::Constant(2, 3, 0.5f);
  r.anime_factors = als::FactorMatrix::Constant(3, 3, -0.125f);
  r.lambda_content = 30;
  r.content_ridge = 1;
  r.content_w.resize(4, 3);
  r.content_w << 0.1f, 0.2f, 0.3f, -0.4f, 0.5f, -0.6f, 0.7f, 1e-30f, -0.0f, 2.0f, -3.0f, 4.0f;
  model::PopularityTerm t;
  t.weight = 4;
  t.log_mean = 8.25;
  t.log_sd = 2.5;
  t.direction = Eigen::Vector3f(0.25f, -0.5f, 1e-20f);
  r.popularity = t;
  m.ranking = std::move(r);
  return m;
}

TEST(ModelContentTest, RoundTripKeepsTheRankingPriorBitExact) {
  TempDir dir;
  const std::string path = dir.file("model.h5");
  const Model m = ranked_hybrid_model();
  write_model(m, path, false);
  const Model r = read_model(path);
  ASSERT_TRUE(r.ranking.has_value());
  const model::RankingPart& a = *m.ranking;
  const model::RankingPart& b = *r.ranking;
  EXPECT_EQ(a.lambda_content, b.lambda_content);
  EXPECT_EQ(a.content_ridge, b.content_ridge);
  ASSERT_EQ(b.content_w.rows(), 4);
  ASSERT_EQ(b.content_w.cols(), 3);
  EXPECT_TRUE(same_floats(a.content_w.data(), b.content_w.data(), 12));
  ASSERT_TRUE(b.popularity.has_value());
  EXPECT_EQ(a.popularity->weight, b.popularity->weight);
  EXPECT_EQ(a.popularity->log_mean, b.popularity->log_mean);
  EXPECT_EQ(a.popularity->log_sd, b.popularity->log_sd);
  ASSERT_EQ(b.popularity->direction.size(), 3);
  EXPECT_TRUE(same_floats(a.popularity->direction.data(), b.popularity->direction.data(), 3));
}

// A model written before the ranking prior existed has a /ranking group with
// neither content_w nor the popularity term: it reads with no ranking prior.
TEST(ModelContentTest, RankingPartWithoutPriorReadsWithNone) {
  TempDir dir;
  const std::string path = dir.file("model.h5");
  Model m = ranked_hybrid_model();
  m.ranking->content_w.resize(0, 0);
  m.ranking->lambda_content = 0;
  m.ranking->content_ridge = 0;
  m.ranking->popularity.reset();
  write_model(m, path, false);
  const Model r = read_model(path);
  ASSERT_TRUE(r.ranking.has_value());
  EXPECT_EQ(r.ranking->content_w.size(), 0);
  EXPECT_EQ(r.ranking->lambda_content, 0);
  EXPECT_FALSE(r.ranking->popularity.has_value());
}

void expect_ranking_write_refused(void (*damage)(Model&), const std::string& field) {
  TempDir dir;
  Model m = ranked_hybrid_model();
  damage(m);
  try {
    write_model(m, dir.file("model.h5"), false);
    FAIL() << "expected IoError naming " << field;
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("field " + field + ":"), std::string::npos) << e.what();
  }
}

TEST(ModelContentTest, WriteRefusesARankingPriorThatDoesNotFit) {
  expect_ranking_write_refused([](Model& m) { m.ranking->content_w.conservativeResize(3, 3); },
                               "/ranking/content_w");
  expect_ranking_write_refused([](Model& m) { m.ranking->content_w.conservativeResize(4, 2); },
                               "/ranking/content_w");
  expect_ranking_write_refused([](Model& m) { m.content.reset(); }, "/ranking/content_w");
  expect_ranking_write_refused([](Model& m) { m.ranking->lambda_content = 0; },
                               "/ranking/@lambda_content");
  expect_ranking_write_refused([](Model& m) { m.ranking->popularity->direction.resize(2); },
                               "/ranking/popularity_direction");
  expect_ranking_write_refused([](Model& m) { m.ranking->popularity->log_sd = 0; },
                               "/ranking/@popularity_log_sd");
  expect_ranking_write_refused(
      [](Model& m) {
        m.ranking->content_w.resize(0, 0);
        m.ranking->lambda_content = 0;
      },
      "/ranking/popularity_direction");
}

// The ranked hybrid model with a cold map instead of the popularity term:
// cold_w maps the 4 /content features, z, z^2 and 1 to 3 factors.
Model cold_mapped_model() {
  Model m = ranked_hybrid_model();
  m.ranking->popularity.reset();
  model::ColdMap c;
  c.ridge = 1;
  c.popularity_exponent = 0.5;
  c.blend = 0.01;
  c.log_mean = 8.25;
  c.log_sd = 2.5;
  c.w.resize(7, 3);
  for (Eigen::Index i = 0; i < c.w.size(); ++i) c.w.data()[i] = 0.125f * static_cast<float>(i - 9);
  m.ranking->cold_map = c;
  m.ranking->cold = {0, 1, 1};
  return m;
}

// An older model: a ranking part without the cold map.
Model read_model_without_cold_map(const TempDir& dir) {
  Model m = ranked_hybrid_model();
  const std::string path = dir.file("older.h5");
  write_model(m, path, false);
  return read_model(path);
}

TEST(ModelContentTest, RoundTripKeepsTheColdMapBitExact) {
  TempDir dir;
  const std::string path = dir.file("model.h5");
  const Model m = cold_mapped_model();
  write_model(m, path, false);
  const Model r = read_model(path);
  ASSERT_TRUE(r.ranking->cold_map.has_value());
  const model::ColdMap& a = *m.ranking->cold_map;
  const model::ColdMap& b = *r.ranking->cold_map;
  EXPECT_EQ(a.ridge, b.ridge);
  EXPECT_EQ(a.popularity_exponent, b.popularity_exponent);
  EXPECT_EQ(a.blend, b.blend);
  EXPECT_EQ(a.log_mean, b.log_mean);
  EXPECT_EQ(a.log_sd, b.log_sd);
  ASSERT_EQ(b.w.rows(), 7);
  ASSERT_EQ(b.w.cols(), 3);
  EXPECT_TRUE(same_floats(a.w.data(), b.w.data(), 21));
  EXPECT_EQ(r.ranking->cold, m.ranking->cold);
  // Without the cold map (an older model) there is no cold flag either.
  EXPECT_TRUE(read_model_without_cold_map(dir).ranking->cold.empty());
}

TEST(ModelContentTest, WriteRefusesAColdMapThatDoesNotFit) {
  auto refused = [](void (*damage)(Model&), const std::string& field) {
    TempDir dir;
    Model m = cold_mapped_model();
    damage(m);
    try {
      write_model(m, dir.file("model.h5"), false);
      ADD_FAILURE() << "expected IoError naming " << field;
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find("field " + field + ":"), std::string::npos) << e.what();
    }
  };
  refused([](Model& m) { m.ranking->cold_map->w.conservativeResize(4, 3); }, "/ranking/cold_w");
  refused([](Model& m) { m.ranking->cold_map->w.conservativeResize(7, 2); }, "/ranking/cold_w");
  refused([](Model& m) { m.ranking->cold_map->ridge = 0; }, "/ranking/@cold_ridge");
  refused([](Model& m) { m.ranking->cold_map->log_sd = 0; }, "/ranking/@cold_log_sd");
  refused([](Model& m) { m.ranking->cold = {0, 1}; }, "/ranking/cold");
  refused([](Model& m) { m.ranking->cold = {0, 2, 1}; }, "/ranking/cold");
  refused([](Model& m) { m.ranking->cold_map.reset(); }, "/ranking/cold");
}

// The factors of an anime: the content entries, then z, z^2 and the constant.
TEST(ModelContentTest, ColdMapFactorsAddContentAndMemberTerms) {
  model::ColdMap c;
  c.log_mean = std::log1p(999.0);
  c.log_sd = 0.5;
  c.w = als::FactorMatrix::Zero(4, 2);  // one content feature
  c.w.row(0) << 1.0f, 0.0f;
  c.w.row(1) << 0.0f, 1.0f;  // z
  c.w.row(2) << 0.0f, 2.0f;  // z^2
  c.w.row(3) << 0.5f, 0.5f;  // 1
  const std::vector<int32_t> cols = {0};
  const std::vector<float> values = {2.0f};
  EXPECT_EQ(c.factors(cols, values, -1), Eigen::Vector2f(2.5f, 0.5f));  // unknown: z = 0
  const auto members = static_cast<int64_t>(std::llround(std::exp(c.log_mean + 0.5) - 1));
  const double z = c.z(members);
  EXPECT_NEAR(z, 1.0, 2e-3);
  const Eigen::VectorXf y = c.factors(cols, values, members);
  EXPECT_NEAR(y[0], 2.5f, 1e-6f);
  EXPECT_NEAR(y[1], 0.5 + z + 2 * z * z, 1e-6);
}

TEST(ModelContentTest, PopularityTermOffsetsByStandardisedLogMembers) {
  model::PopularityTerm t;
  t.weight = 2;
  t.log_mean = std::log1p(999.0);
  t.log_sd = 0.5;
  t.direction = Eigen::Vector2f(1.0f, -2.0f);
  EXPECT_EQ(t.z(-1), 0.0);  // unknown member count: no offset
  EXPECT_NEAR(t.z(999), 0.0, 1e-12);
  EXPECT_NEAR(t.z(static_cast<int64_t>(std::exp(std::log1p(999.0) + 0.5) - 1 + 0.5)), 1.0, 1e-3);
  const Eigen::VectorXf o = t.cold_offset(-1);
  EXPECT_EQ(o.squaredNorm(), 0.0f);
}

}  // namespace
}  // namespace animerec::io
