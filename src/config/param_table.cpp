// The one table of commands and parameters. Everything else (option parsing,
// config files, checks, --help, docs/params.md) is derived from it, so adding a
// command or a parameter is one row here plus `scripts/update-params-doc.sh`.
//
// Parameters shared by several commands (seed, overwrite, quiet) are one row
// with several commands, so their meaning cannot drift apart. They sit at the
// end so that each command lists its own parameters first.
#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "animerec/config/params.h"

namespace animerec::config {
namespace {

// Builds one row fluently; a plain aggregate initializer would need every
// field spelled out (GCC warns about the missing ones under -Wextra).
class Row {
 public:
  Row(std::string name, ParamType type, std::string default_value = "") {
    spec_.name = std::move(name);
    spec_.type = type;
    spec_.default_value = std::move(default_value);
  }
  Row& required() {
    spec_.required = true;
    return *this;
  }
  Row& at_least(double min) {
    spec_.min = min;
    return *this;
  }
  Row& in(double min, double max) {
    spec_.min = min;
    spec_.max = max;
    return *this;
  }
  // [0, 1): a share of something, where taking all of it makes no sense.
  Row& fraction() {
    in(0.0, 1.0);
    spec_.max_exclusive = true;
    return *this;
  }
  Row& one_of(std::vector<std::string> choices) {
    spec_.choices = std::move(choices);
    return *this;
  }
  Row& on(std::vector<std::string> commands) {
    spec_.commands = std::move(commands);
    return *this;
  }
  // Train parameters that do not shape the model (ParamScope::kRunLocal).
  Row& run_local() {
    spec_.scope = ParamScope::kRunLocal;
    return *this;
  }
  // Train parameters a resumed run may change (ParamScope::kAdjustableOnResume).
  Row& adjustable_on_resume() {
    spec_.scope = ParamScope::kAdjustableOnResume;
    return *this;
  }
  Row& doc(std::string text) {
    spec_.doc = std::move(text);
    return *this;
  }
  operator ParamSpec() const { return spec_; }  // NOLINT: rows convert implicitly by design

 private:
  ParamSpec spec_;
};

Row integer(std::string name, std::string default_value) {
  return Row(std::move(name), ParamType::kInt, std::move(default_value));
}
Row number(std::string name, std::string default_value) {
  return Row(std::move(name), ParamType::kDouble, std::move(default_value));
}
Row choice(std::string name, std::string default_value) {
  return Row(std::move(name), ParamType::kString, std::move(default_value));
}
Row path(std::string name) { return Row(std::move(name), ParamType::kPath); }
Row flag(std::string name) { return Row(std::move(name), ParamType::kBool, "false"); }

std::vector<ParamSpec> build_param_table() {
  // cv trains exactly like train, so every train row but those naming train's
  // files (dataset, out, overwrite, resume, checkpoints, metrics-out) is on cv too.
  return {
      // ---- prepare
      path("ratings")
          .required()
          .on({"prepare"})
          .doc("ratings file (MyAnimeList, MovieLens or user,anime,rating triplets; see "
               "--ratings-format)"),
      path("anime").on({"prepare"}).doc("anime metadata file (MyAnimeList anime.csv)"),
      path("synopsis")
          .on({"prepare"})
          .doc("MyAnimeList 2020 anime_with_synopsis.csv with synopses"),
      path("test-ratings")
          .on({"prepare"})
          .doc("predefined test split in the format of --ratings (e.g. MovieLens u1.test)"),
      choice("ratings-format", "auto")
          .one_of({"auto", "mal2016", "mal2020-complete", "mal2020-animelist", "mal2023",
                   "movielens-udata", "movielens-dat", "movielens-csv", "triplets"})
          .on({"prepare"})
          .doc("format of --ratings; auto detects it from the first line (header or row shape)"),
      choice("anime-format", "auto")
          .one_of({"auto", "mal2016", "mal2020", "mal2023"})
          .on({"prepare"})
          .doc("format of --anime; auto detects it from the header"),
      path("out").required().on({"prepare"}).doc("dataset file to write (dataset.h5)"),
      number("test-fraction", "0.2")
          .fraction()
          .on({"prepare"})
          .doc("share of each user's explicit ratings held out for testing"),
      number("validation-fraction", "0.0")
          .fraction()
          .on({"prepare"})
          .doc("share of each user's explicit ratings held out for validation"),
      number("cold-anime-fraction", "0.0")
          .fraction()
          .on({"prepare"})
          .doc("share of anime whose ratings all go to test (cold-start items)"),
      integer("min-ratings-to-split", "5")
          .at_least(2)
          .on({"prepare"})
          .doc("users with fewer explicit ratings stay whole in train"),
      integer("min-user-ratings", "1")
          .at_least(1)
          .on({"prepare"})
          .doc("drop users with fewer ratings, repeated until stable"),
      integer("min-anime-ratings", "1")
          .at_least(1)
          .on({"prepare"})
          .doc("drop anime with fewer ratings, repeated until stable"),
      integer("compression", "0")
          .in(0, 9)
          .on({"prepare"})
          .doc("deflate level of the rating arrays in dataset.h5: 0 = none (fastest, ~20 "
               "bytes/rating), "
               "1 = ~6 bytes/rating, 5x slower to write"),
      choice("on-bad-row", "error")
          .one_of({"error", "skip"})
          .on({"prepare"})
          .doc("a malformed row stops with FILE:LINE (error) or is counted and dropped (skip)"),

      // ---- synth
      path("out").required().on({"synth"}).doc("directory to write the CSV files into"),
      integer("users", "2000").at_least(1).on({"synth"}).doc("number of users"),
      integer("anime", "500").at_least(1).on({"synth"}).doc("number of anime"),
      integer("ratings", "100000")
          .at_least(1)
          .on({"synth"})
          .doc("number of ratings (distinct user-anime pairs)"),
      choice("layout", "mal2023")
          .one_of({"mal2023", "mal2016", "movielens"})
          .on({"synth"})
          .doc(
              "file layout to imitate: MyAnimeList 2023 or 2016, or MovieLens u.data (1..5 stars)"),
      integer("factors", "8").in(1, 64).on({"synth"}).doc("latent dimensions of the true model"),
      number("noise", "0.8")
          .at_least(0)
          .on({"synth"})
          .doc("standard deviation of the noise added to true scores"),
      number("unrated-fraction", "0.15")
          .fraction()
          .on({"synth"})
          .doc("mal2016 layout: share of rows written as -1 (watched, not rated)"),
      number("popularity-skew", "0")
          .in(0, 4)
          .on({"synth"})
          .doc("Zipf exponent s of anime popularity (the r-th most popular anime is picked with "
               "weight r^-s); 0 = the built-in MyAnimeList-like shape (r + 20)^-1.05 "
               "(docs/usage.md)"),
      number("activity-skew", "0")
          .in(0, 4)
          .on({"synth"})
          .doc("Zipf exponent s of user activity (the r-th most active user gets a share r^-s of "
               "the ratings, capped at --anime); 0 = the built-in Lomax tail (docs/usage.md)"),

      // ---- info
      path("dataset").required().on({"info"}).doc("dataset file to summarize"),

      // ---- check
      path("file").required().on({"check"}).doc(
          "model.h5, checkpoint.h5 or dataset.h5 to verify (checksums and consistency)"),

      // ---- export
      path("dataset").required().on({"export"}).doc("dataset file to read"),
      choice("split", "train")
          .one_of({"train", "validation", "test", "all"})
          .on({"export"})
          .doc("which ratings to write"),
      choice("ids", "external")
          .one_of({"external", "index"})
          .on({"export"})
          .doc("external: the source's user/anime ids; index: dense 0-based indices"),
      path("out").required().on({"export"}).doc("triplets file to write (user,anime,rating)"),

      // ---- train
      path("dataset").required().on({"train"}).run_local().doc("dataset file made by prepare"),
      path("out").required().on({"train"}).run_local().doc("model file to write (model.h5)"),
      choice("feedback", "explicit")
          .one_of({"explicit", "implicit"})
          .on({"train", "cv"})
          .doc("explicit: fit the 1..10 scores with biases; implicit: fit who watched what "
               "(Hu-Koren-Volinsky confidence weights)"),
      integer("factors", "32")
          .in(1, 1024)
          .on({"train", "cv"})
          .doc("latent factors per user and anime (k)"),
      choice("solver", "cholesky")
          .one_of({"cholesky", "cg"})
          .on({"train", "cv"})
          .doc("per-row solver: exact Cholesky, or --cg-steps conjugate-gradient steps "
               "warm-started"),
      integer("cg-steps", "3")
          .in(1, 100)
          .on({"train", "cv"})
          .doc("conjugate-gradient steps per row and half-sweep"),
      number("lambda", "0.05")
          .at_least(0)
          .on({"train", "cv"})
          .doc("factor regularisation, multiplied by the row's rating count (ALS-WR)"),
      number("lambda-exponent", "1")
          .in(0, 1)
          .on({"train", "cv"})
          .doc("the factor penalty is lambda * n^exponent for a row with n ratings: 1 = ALS-WR, "
               "0.5 shrinks heavy raters less"),
      number("lambda-bias", "10")
          .at_least(0)
          .on({"train", "cv"})
          .doc("explicit: bias regularisation (not scaled by the count: a bias is a mean damped by "
               "this many pseudo-ratings of 0)"),
      number("alpha", "40")
          .at_least(0)
          .on({"train", "cv"})
          .doc("implicit: confidence = 1 + alpha * weight"),
      number("weight-scored", "1")
          .at_least(0)
          .on({"train", "cv"})
          .doc("implicit: weight of a scored row"),
      number("weight-watched", "1")
          .at_least(0)
          .on({"train", "cv"})
          .doc("implicit: weight of a watched-but-not-rated row (MAL 2016 rating -1)"),
      number("weight-watching", "1")
          .at_least(0)
          .on({"train", "cv"})
          .doc("implicit: weight of status watching"),
      number("weight-completed", "1")
          .at_least(0)
          .on({"train", "cv"})
          .doc("implicit: weight of status completed"),
      number("weight-on-hold", "0.5")
          .at_least(0)
          .on({"train", "cv"})
          .doc("implicit: weight of status on hold"),
      number("weight-dropped", "0.25")
          .at_least(0)
          .on({"train", "cv"})
          .doc("implicit: weight of status dropped"),
      number("weight-plan-to-watch", "0.5")
          .at_least(0)
          .on({"train", "cv"})
          .doc("implicit: weight of status plan to watch"),
      number("weight-score-slope", "0")
          .at_least(0)
          .on({"train", "cv"})
          .doc("implicit: a scored row also weighs slope * (score - --weight-score-pivot), so a "
               "10 counts more than a 5 (0 = the score's value does not count; a row whose "
               "weight ends <= 0 is left out)"),
      number("weight-score-pivot", "0")
          .at_least(0)
          .on({"train", "cv"})
          .doc("implicit: the score at which --weight-score-slope adds nothing"),
      integer("iterations", "15")
          .in(1, 10000)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("full iterations (user + anime half-sweeps)"),
      choice("exchange", "allgather")
          .one_of({"allgather"})
          .on({"train", "cv"})
          .run_local()
          .doc("how ranks share the factors solved in a half-sweep: allgather = every rank "
               "holds both sides whole (docs/architecture.md, Training)"),
      integer("ranking-factors", "0")
          .in(0, 1024)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("explicit: also fit a ranking part, implicit ALS with this many factors on every "
               "interaction, that orders recommendations (0 = none; docs/recommend.md)"),
      number("ranking-alpha", "10")
          .at_least(0)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking part: confidence 1 + alpha * weight of an interaction"),
      number("ranking-lambda", "0.05")
          .at_least(0)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking part: ridge lambda * count^--ranking-lambda-exponent of a row, count = "
               "its n interactions (see --ranking-regularization)"),
      number("ranking-lambda-exponent", "1")
          .in(0, 1)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking part: the exponent nu of the ridge lambda * count^nu (1 = ALS-WR)"),
      number("ranking-alpha0", "1")
          .in(0, 1)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking part: weight of every unobserved (user, anime) pair, > 0 (Rendle et al. "
               "2022; 1 = Hu-Koren-Volinsky, where an interaction's confidence 1 + alpha * "
               "weight is relative to it)"),
      choice("ranking-regularization", "count")
          .one_of({"count", "frequency"})
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking part: the count in the ridge, count = the row's n interactions, "
               "frequency = n + --ranking-alpha0 * rows of the other side (Rendle et al. 2022)"),
      choice("ranking-solver", "cg")
          .one_of({"cholesky", "cg"})
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking part: per-row solver, exact Cholesky or --ranking-cg-steps "
               "conjugate-gradient steps warm-started (new users are folded in exactly either "
               "way)"),
      integer("ranking-cg-steps", "0")
          .in(0, 100)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking part: conjugate-gradient steps per row and half-sweep with "
               "--ranking-solver cg (0 = the main fit's --cg-steps)"),
      integer("ranking-iterations", "15")
          .in(1, 10000)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking part: iterations of its implicit fit"),
      number("ranking-blend", "0.1")
          .at_least(0)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking part: recommendations follow preference + blend * (predicted score - "
               "mean)"),
      number("ranking-lambda-content", "0")
          .at_least(0)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking part: pull each anime's ranking factors toward a ridge-regression map of "
               "its content vector (the hybrid part's, so it needs --lambda-content > 0) with this "
               "weight; cold anime get the map's prediction (0 = no ranking prior; "
               "docs/content.md)"),
      number("ranking-content-ridge", "1")
          .at_least(0)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking part: ridge mu of the regression of ranking factors on content vectors"),
      number("ranking-popularity-weight", "0")
          .at_least(0)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking prior: cold anime's ranking factors also move this far along the "
               "direction warm anime's factors grow with their standardised log member count "
               "(0 = none; needs --ranking-lambda-content > 0; docs/content.md)"),
      number("ranking-cold-ridge", "0")
          .at_least(0)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("ranking part: after the fit, refit a map with this ridge mu from each anime's "
               "content vector and standardised log member count (z, z^2) to the warm anime's "
               "ranking factors; cold and new anime get their ranking factors from it and are "
               "ranked with --ranking-cold-blend (0 = off; needs --lambda-content > 0; "
               "docs/content.md)"),
      number("ranking-cold-popularity-exponent", "0")
          .at_least(0)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("cold map: weight each warm anime exp(this x z) in the refit, z its standardised "
               "log member count, so well-watched anime (better-estimated factors) count more"),
      number("ranking-cold-blend", "0")
          .at_least(0)
          .on({"train", "cv"})
          .adjustable_on_resume()
          .doc("cold map: weight of the centred predicted rating in the ranking score of cold "
               "and new anime, in place of --ranking-blend (their predicted rating comes from "
               "content too)"),
      integer("early-stop-patience", "0")
          .at_least(0)
          .on({"train", "cv"})
          .doc("stop after this many iterations without a validation gain over --tolerance (0 = "
               "off); "
               "the model keeps the best iteration either way"),
      number("tolerance", "0.0001")
          .at_least(0)
          .on({"train", "cv"})
          .doc("smallest validation gain (RMSE drop, or NDCG@10 rise) that counts as progress"),
      integer("validation-users", "1000")
          .at_least(1)
          .on({"train", "cv"})
          .doc("implicit: users sampled (by a hash of their id) for validation NDCG@10"),
      number("init-scale", "0.1")
          .at_least(0)
          .on({"train", "cv"})
          .doc("initial factors are uniform in +-init-scale/sqrt(k)"),
      // Bounded: the OpenMP runtime crashes (or aborts with its own message)
      // when asked for tens of thousands of threads; more than 1024 threads per
      // rank is a typo, not a machine.
      integer("threads", "0")
          .in(0, 1024)
          .on({"train", "cv"})
          .run_local()
          .doc("OpenMP threads per rank (0 = OMP_NUM_THREADS or all cores)"),
      integer("checkpoint-every", "0")
          .at_least(0)
          .on({"train"})
          .run_local()
          .doc("write a checkpoint every N iterations into --checkpoint-dir (0 = only on a stop "
               "signal)"),
      path("checkpoint-dir")
          .on({"train"})
          .run_local()
          .doc("directory for checkpoint.h5 (written by rank 0, replaced atomically); SIGINT, "
               "SIGTERM or SIGUSR1 stops at the next iteration, writes it and exits 3 (without "
               "this directory: nothing saved, exit 4; docs/training.md)"),
      path("resume").on({"train"}).run_local().doc(
          "continue from this checkpoint (same dataset and model parameters)"),
      path("metrics-out")
          .on({"train"})
          .run_local()
          .doc("also write the per-iteration metrics as JSON lines to this file"),

      number("lambda-content", "0")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid prior: pull each anime's factors and bias toward a ridge-regression map of "
               "its "
               "content vector with this weight; cold anime get the map's prediction (0 = plain "
               "ALS)"),
      number("content-ridge", "1")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: ridge mu of the regression of anime factors on content vectors"),
      number("content-genres-weight", "1")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: weight (vector norm) of the content group genres"),
      number("content-type-weight", "0.5")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: weight (vector norm) of the content group type (TV, Movie, OVA...)"),
      number("content-source-weight", "0.5")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: weight (vector norm) of the content group source material"),
      number("content-studios-weight", "0.75")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: weight (vector norm) of the content group studios"),
      number("content-episodes-weight", "0.25")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: weight (vector norm) of the content group episode-count buckets"),
      number("content-year-weight", "0.5")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: weight (vector norm) of the content group decade of first airing"),
      number("content-season-weight", "0.25")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: weight (vector norm) of the content group season of first airing"),
      number("content-age-rating-weight", "0.5")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: weight (vector norm) of the content group age rating"),
      number("content-duration-weight", "0.25")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: weight (vector norm) of the content group episode-duration buckets"),
      number("content-popularity-weight", "0.5")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: weight (vector norm) of the content group member-count buckets (only with "
               "--content-use-popularity)"),
      number("content-community-score-weight", "0.5")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: weight (vector norm) of the content group community-score buckets (only "
               "with --content-use-community-score)"),
      number("content-synopsis-weight", "1")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: weight (vector norm) of the content group synopsis words (TF-IDF)"),
      integer("content-top-studios", "50")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: studios with their own feature (the rest share \"Studio: other\")"),
      integer("content-synopsis-vocabulary", "2000")
          .at_least(0)
          .on({"train", "cv"})
          .doc("hybrid: synopsis words kept, most frequent first (0 = no synopsis features)"),
      integer("content-min-df", "5")
          .at_least(1)
          .on({"train", "cv"})
          .doc("hybrid: a synopsis word must occur in at least this many training anime"),
      flag("content-use-popularity")
          .on({"train", "cv"})
          .doc("hybrid: add member-count buckets to the content vectors"),
      flag("content-use-community-score")
          .on({"train", "cv"})
          .doc("hybrid: add MyAnimeList mean-score buckets to the content vectors (they include "
               "held-out ratings)"),

      // ---- recommend
      path("model").required().on({"recommend"}).doc("model file made by train (model.h5)"),
      path("dataset")
          .on({"recommend"})
          .doc("the dataset the model was trained on: needed with --user (what the user has seen) "
               "and with filters; otherwise it adds type, year and genres"),
      // Text, not an integer row: an id has no default value to check the rule
      // against, so `recommend` parses it itself (same message as the table's).
      choice("user", "")
          .on({"recommend"})
          .doc("external id of a user in the dataset: recommend anime for them"),
      choice("similar", "")
          .on({"recommend"})
          .doc("anime id or exact title (case-insensitive): list anime similar to it (with "
               "--new-anime: an anime of that file)"),
      integer("top", "10").in(1, 1000000).on({"recommend"}).doc("how many anime to list"),
      path("new-anime")
          .on({"recommend"})
          .doc("metadata rows of anime not in the model (any layout prepare --anime reads), "
               "placed by content: with --top-users the users most likely to watch and like "
               "each, with --similar ANIME (an anime of the file) the anime similar to it; "
               "needs --dataset"),
      integer("top-users", "10")
          .in(1, 100000000)
          .on({"recommend"})
          .doc("with --new-anime: how many users to list for each new anime"),
      choice("mode", "model")
          .one_of({"model", "content"})
          .on({"recommend"})
          .doc("with --user or --ratings: model = the model's scores, content = content profile "
               "of the user's ratings (needs a model trained with --lambda-content > 0)"),
      flag("include-seen")
          .on({"recommend"})
          .doc("with --user or --ratings: also list anime the user already has or rated"),
      // Text: given but empty ("--ratings ''") asks for popular anime, so the
      // command tells "given" from "not given" by the parameter's source.
      choice("ratings", "")
          .on({"recommend"})
          .doc("a new user's ratings, ANIME:SCORE,... (ANIME an id or exact title): "
               "recommendations without retraining (fold-in); empty = the most popular anime"),
      path("ratings-file")
          .on({"recommend"})
          .doc("a new user's ratings, one ANIME,SCORE per line (split on the last comma; # "
               "comments): like --ratings"),
      choice("type", "")
          .on({"recommend"})
          .doc("list only anime of these types, comma-separated (e.g. TV,Movie); needs --dataset"),
      choice("exclude-genre", "")
          .on({"recommend"})
          .doc("leave out anime with any of these genres, comma-separated (e.g. Horror,Ecchi); "
               "needs --dataset"),
      integer("min-year", "0")
          .at_least(0)
          .on({"recommend"})
          .doc("list only anime first aired in this year or later (0 = any); needs --dataset"),
      integer("max-episodes", "0")
          .at_least(0)
          .on({"recommend"})
          .doc("list only anime with at most this many episodes (0 = any); needs --dataset"),
      flag("explain")
          .on({"recommend"})
          .doc("say why: the rated anime that contributed most to each score and the content "
               "features shared with the user's taste"),
      choice("similar-mode", "cowatch")
          .one_of({"cowatch", "cf", "content", "hybrid"})
          .on({"recommend"})
          .doc("with --similar: cowatch = what the anime's watchers also watch, as the model "
               "predicts it (ranking part; cold anime from content), cf = cosine of anime "
               "factors, content = cosine of content vectors, hybrid = blend of cf and content"),
      number("similar-blend", "0.5")
          .in(0.0, 1.0)
          .on({"recommend"})
          .doc("with --similar-mode hybrid: weight W of cf (content gets 1 - W)"),
      flag("all-users")
          .on({"recommend"})
          .doc("top-N of every user of the model into --out (.h5 or .csv), split over MPI ranks "
               "(mpirun -np P); see docs/recommend.md, Batch"),
      path("out")
          .on({"recommend"})
          .doc("with --all-users: file to write; .h5/.hdf5 = HDF5, .csv (or --format csv) = CSV "
               "user_id,rank,anime_id,score"),
      integer("batch-users", "128")
          .in(1, 1000000)
          .on({"recommend"})
          .doc("with --all-users: users scored by one matrix product; memory per thread is "
               "this x anime x 4 bytes (x 2 with a ranking part)"),
      flag("time-bare-product")
          .on({"recommend"})
          .doc("with --all-users: also time the bare product user x anime factors of the same "
               "blocks and print both times on stderr (benchmark)"),
      choice("format", "table")
          .one_of({"table", "json", "csv"})
          .on({"recommend"})
          .doc("output on stdout: aligned table, one JSON object, or CSV with a header"),

      // ---- evaluate
      path("model").required().on({"evaluate"}).doc("model file made by train (model.h5)"),
      path("dataset")
          .required()
          .on({"evaluate"})
          .doc("the dataset the model was trained on (dataset.h5): its held-out split is scored"),
      choice("split", "test")
          .one_of({"test", "validation"})
          .on({"evaluate"})
          .doc("held-out rows to evaluate on"),
      choice("k", "5,10,20")
          .on({"evaluate"})
          .doc("cutoffs of the ranking metrics, comma-separated integers >= 1"),
      number("relevance", "")
          .on({"evaluate"})
          .doc("explicit models: a held-out score >= this is a relevant item; default: the top "
               "30% of the dataset's scale (8 on 1..10, 4 on 1..5); implicit: any held-out row"),
      choice("format", "table")
          .one_of({"table", "json"})
          .on({"evaluate"})
          .doc("output on stdout: aligned tables (methods x metrics) or one JSON object"),
      choice("item-knn", "on")
          .one_of({"on", "off"})
          .on({"evaluate"})
          .doc("the item-kNN baseline (cosine over the training co-occurrence matrix, 4 x "
               "anime^2 bytes)"),
      choice("ease-lambda", "auto")
          .on({"evaluate"})
          .doc("the EASE baseline's ridge lambda: a number > 0, auto = the best validation "
               "NDCG@10 of 10, 30, 100, 300, 1000, 3000 (100 without a validation split), or off "
               "to skip its dense solve (8 x anime^2 bytes, twice; three times for auto)"),
      path("manifest")
          .on({"evaluate"})
          .doc("run manifest to write (JSON; default: the model's path with .h5 replaced by "
               ".evaluate.json); a previous evaluate manifest is replaced, any other file only "
               "with --overwrite"),

      // ---- reproduce
      path("model")
          .required()
          .on({"reproduce"})
          .doc("model file made by train (model.h5): its run manifest is trained again"),
      path("dataset")
          .on({"reproduce"})
          .doc("dataset to train on (default: the manifest's dataset path); its sha256 must be "
               "the manifest's"),
      path("out")
          .on({"reproduce"})
          .doc("keep the new model here (default: a temporary file, removed after the "
               "comparison)"),

      // ---- cv (also takes every train parameter but the file ones: the rows above)
      path("dataset").required().on({"cv"}).doc(
          "dataset file made by prepare: its rows are re-split into folds (its own split is "
          "ignored)"),
      integer("folds", "5")
          .in(2, 100)
          .on({"cv"})
          .doc(
              "K: each fold is the test split once; a row's fold is hash(seed, user, anime) mod K"),
      choice("k", "10").on({"cv"}).doc(
          "cutoffs of the ranking metrics, comma-separated integers >= 1"),
      number("relevance", "")
          .on({"cv"})
          .doc("explicit models: a held-out score >= this is a relevant item; default: the top "
               "30% of the dataset's scale (8 on 1..10, 4 on 1..5)"),
      choice("format", "table")
          .one_of({"table", "json"})
          .on({"cv"})
          .doc("output on stdout: mean ± std table and per-fold table, or one JSON object"),
      path("work-dir")
          .on({"cv"})
          .doc("directory for the fold datasets and models (removed at the end); default: "
               "$TMPDIR; under MPI on several nodes, a directory every rank can read"),

      // ---- shared
      choice("memory-limit", "auto")
          .on({"prepare", "train", "cv", "evaluate"})
          .run_local()
          .doc("memory one process (one rank) may use, e.g. 512M or 2G; auto = the smallest of "
               "MemAvailable and the cgroup limit (shared by the ranks on a node), ulimit -v/-d "
               "and SLURM's --mem/--mem-per-cpu. The run fails up front when its estimate is "
               "larger"),
      integer("seed", "42")
          .at_least(0)
          .on({"prepare", "synth", "train", "cv"})
          .doc("random seed; the same inputs and seed give the same output"),
      flag("overwrite")
          .on({"prepare", "synth", "export", "train", "recommend", "evaluate", "reproduce"})
          .run_local()
          .doc("replace output files that exist (otherwise that is an error). Outputs must be "
               "regular files and none of the inputs; a symbolic link is written through to its "
               "file (docs/outputs.md)"),
      flag("quiet")
          .on({"prepare", "synth", "train", "recommend", "reproduce", "cv"})
          .run_local()
          .doc("no progress output on stderr"),
  };
}

std::vector<CommandSpec> build_command_table() {
  return {
      {"prepare", "read MyAnimeList/MovieLens files into a dataset.h5", {}},
      {"synth", "write a synthetic MyAnimeList-shaped dataset", {}},
      {"info", "print a summary of a dataset.h5", {"dataset"}},
      {"check",
       "verify a model, checkpoint, dataset or recs file: checksums and consistency",
       {"file"}},
      {"export", "write a split of a dataset.h5 as triplets", {}},
      {"train", "fit the ALS model on a dataset.h5 (mpirun -np P for P ranks)", {}},
      {"recommend",
       "top-N anime for a user of the dataset or a new user (their ratings), or anime similar "
       "to one anime, from a model.h5",
       {}},
      {"evaluate", "offline metrics of a model.h5 on a held-out split, beside baselines", {}},
      {"reproduce", "train again from a model.h5's run manifest and compare bit for bit", {}},
      {"cv", "K-fold cross-validation of the train options on a dataset.h5 (mpirun -np P)", {}},
      {"params-doc", "print docs/params.md", {}},
  };
}

}  // namespace

const std::vector<ParamSpec>& param_table() {
  static const std::vector<ParamSpec> table = build_param_table();
  return table;
}

const std::vector<CommandSpec>& command_table() {
  static const std::vector<CommandSpec> table = build_command_table();
  return table;
}

}  // namespace animerec::config
