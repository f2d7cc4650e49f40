#include "animerec/data/synth.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <memory>
#include <numeric>
#include <set>
#include <string_view>

#include "animerec/core/atomic_file.h"
#include "animerec/core/error.h"
#include "animerec/core/progress.h"

namespace animerec::data {

namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// Model constants. Chosen (by simulation at 270k users x 25k anime) so that the
// rating histogram looks like MyAnimeList's: mode 8, few scores below 5.

constexpr double kMu = 7.85;                   // global mean before the clamp
constexpr double kUserBiasSd = 0.65;           // MAL users differ a lot in generosity
constexpr double kAnimeBiasSd = 0.40;          // quality not explained by popularity
constexpr double kAnimeBiasPopularity = 0.25;  // popular anime score higher
constexpr double kUserFactorSd = 1.15;         // taste strength: sd of x_u.y_i ~ 1
constexpr double kAnimeFactorNoise = 0.35;     // norm of y_i's departure from its genres
constexpr double kGrudgeShare = 0.05;          // ratings far below the user's taste ...
constexpr double kGrudgeSd = 3.2;              // ... giving MAL's fat low tail
constexpr double kSelectivity = 1.0;           // watch odds = popularity x sigmoid(this x affinity)
constexpr double kPopularityOffset = 20.0;     // Zipf (r + q)^-s: top anime ~0.4% of rows,
constexpr double kPopularityExponent = 1.05;   // top 1000 of 25k about half
constexpr double kActivityShape = 2.0;         // Lomax tail: median ~0.4x mean, max ~500x
constexpr double kCommunityBase = 6.55;        // community scores ~ MAL's mean 6.5, sd 1
constexpr double kCommunitySpread = 2.0;

// ---------------------------------------------------------------------------
// Random numbers. std:: distributions are implementation-defined, so the
// generator and every distribution are our own: same seed, same bytes, with
// any standard library (libm's log/exp/cos are the only platform dependency).

__extension__ typedef unsigned __int128 Uint128;

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Every part of the data draws from its own stream, seeded from (seed, stream,
// index), so generating one part differently never shifts the numbers of
// another, and per-user streams make each user's rows independent of the rest.
enum Stream : uint64_t {
  kGenreStream = 1,
  kAnimeStream,
  kUserStream,
  kActivityStream,
  kRowStream,
  kMetaStream,
  kTextStream,
  kNameStream,
  kCompanyStream,
};

class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream, uint64_t index = 0) {
    uint64_t x = mix64(seed ^ mix64(stream * 0x9E3779B97F4A7C15ULL + index));
    for (auto& s : s_) {  // splitmix64 expansion of the seed
      x += 0x9E3779B97F4A7C15ULL;
      s = mix64(x);
    }
  }

  // xoshiro256**
  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }               // [0, 1)
  double uniform_open() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }  // (0, 1)
  // Lemire's multiply-shift: [0, n), bias < n / 2^64.
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((Uint128(next()) * n) >> 64); }
  int64_t range(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1)));
  }
  bool chance(double p) { return uniform() < p; }
  double normal() {  // Box-Muller, keeping the second value
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double r = std::sqrt(-2.0 * std::log(uniform_open()));
    double t = 6.283185307179586 * uniform();
    spare_ = r * std::sin(t);
    has_spare_ = true;
    return r * std::cos(t);
  }
  template <class C>
  const auto& pick(const C& items) {
    return items[below(std::size(items))];
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
  double spare_ = 0;
  bool has_spare_ = false;
};

// Vose's alias method: O(1) draws from a fixed discrete distribution, so
// sampling 24M popularity-weighted anime costs two random numbers each.
class AliasTable {
 public:
  explicit AliasTable(const std::vector<double>& weights)
      : prob_(weights.size(), 1.0), alias_(weights.size()) {
    size_t n = weights.size();
    double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    std::vector<double> scaled(n);
    std::vector<int32_t> small, large;
    for (size_t i = 0; i < n; ++i) {
      scaled[i] = weights[i] * static_cast<double>(n) / total;
      alias_[i] = static_cast<int32_t>(i);
      (scaled[i] < 1.0 ? small : large).push_back(static_cast<int32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      int32_t s = small.back(), l = large.back();
      small.pop_back();
      prob_[s] = scaled[s];
      alias_[s] = l;
      scaled[l] = (scaled[l] + scaled[s]) - 1.0;
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    // Leftovers (either list) have probability 1 up to rounding: prob_ stays 1.
  }
  int32_t sample(Rng& rng) const {
    auto i = static_cast<int32_t>(rng.below(prob_.size()));
    return rng.uniform() < prob_[i] ? i : alias_[i];
  }

 private:
  std::vector<double> prob_;
  std::vector<int32_t> alias_;
};

struct Weighted {
  std::string_view name;
  double weight;
};

template <size_t N>
std::string_view pick_weighted(Rng& rng, const std::array<Weighted, N>& items) {
  double total = 0;
  for (const auto& w : items) total += w.weight;
  double x = rng.uniform() * total;
  for (const auto& w : items) {
    if (x < w.weight) return w.name;
    x -= w.weight;
  }
  return items.back().name;
}

// ---------------------------------------------------------------------------
// Vocabularies. Genre lists and weights follow the real files' genre counts.

constexpr std::array<Weighted, 21> kGenres2023 = {{
    {"Action", 4800},       {"Adventure", 3200}, {"Avant Garde", 800},    {"Award Winning", 250},
    {"Boys Love", 170},     {"Comedy", 7000},    {"Drama", 2800},         {"Fantasy", 4000},
    {"Girls Love", 100},    {"Gourmet", 160},    {"Horror", 500},         {"Mystery", 700},
    {"Romance", 2000},      {"Sci-Fi", 3000},    {"Slice of Life", 2700}, {"Sports", 800},
    {"Supernatural", 1700}, {"Suspense", 300},   {"Ecchi", 800},          {"Erotica", 70},
    {"Hentai", 1350},
}};

constexpr std::array<Weighted, 43> kGenres2016 = {{
    {"Action", 2845},       {"Adventure", 2348},     {"Cars", 72},
    {"Comedy", 4645},       {"Dementia", 240},       {"Demons", 294},
    {"Drama", 2016},        {"Ecchi", 637},          {"Fantasy", 2309},
    {"Game", 181},          {"Harem", 317},          {"Hentai", 1141},
    {"Historical", 806},    {"Horror", 369},         {"Josei", 54},
    {"Kids", 1609},         {"Magic", 778},          {"Martial Arts", 265},
    {"Mecha", 944},         {"Military", 426},       {"Music", 860},
    {"Mystery", 495},       {"Parody", 408},         {"Police", 197},
    {"Psychological", 229}, {"Romance", 1464},       {"Samurai", 148},
    {"School", 1220},       {"Sci-Fi", 2070},        {"Seinen", 547},
    {"Shoujo", 603},        {"Shoujo Ai", 55},       {"Shounen", 1712},
    {"Shounen Ai", 65},     {"Slice of Life", 1220}, {"Space", 381},
    {"Sports", 543},        {"Super Power", 465},    {"Supernatural", 1037},
    {"Thriller", 87},       {"Vampire", 102},        {"Yaoi", 39},
    {"Yuri", 42},
}};

// Synopsis words tied to each 2023 genre (same order as kGenres2023), so text
// features carry the genre signal the way real synopses do.
const std::array<std::vector<std::string_view>, 21> kGenreWords = {{
    {"battle", "fight", "sword", "explosion", "rival", "mission", "warrior", "combat", "weapon",
     "chase", "clash", "strike"},
    {"journey", "quest", "map", "treasure", "voyage", "island", "explorer", "ruins", "expedition",
     "companions", "horizon", "frontier"},
    {"dream", "fragment", "surreal", "abstract", "silence", "mirror", "echo", "void", "collage",
     "distortion"},
    {"acclaimed", "masterpiece", "legacy", "triumph", "honor", "profound", "timeless",
     "celebrated"},
    {"boyfriend", "classmate", "confession", "devotion", "longing", "bond", "heartbeat", "embrace"},
    {"prank", "misunderstanding", "gag", "chaos", "silly", "hilarious", "antics", "blunder",
     "mishap", "banter"},
    {"tragedy", "grief", "family", "secret", "betrayal", "sacrifice", "regret", "tears", "struggle",
     "memory"},
    {"magic", "kingdom", "dragon", "spell", "elf", "sorcerer", "enchanted", "realm", "prophecy",
     "guild"},
    {"girlfriend", "blossom", "sisterhood", "letter", "garden", "promise", "gentle", "ribbon"},
    {"recipe", "cooking", "kitchen", "flavor", "ramen", "chef", "dessert", "ingredient", "feast",
     "bakery"},
    {"monster", "blood", "curse", "nightmare", "corpse", "haunted", "terror", "scream", "ghoul",
     "darkness"},
    {"detective", "clue", "murder", "riddle", "suspect", "alibi", "evidence", "case",
     "disappearance", "puzzle"},
    {"love", "date", "crush", "heart", "kiss", "couple", "feelings", "wedding", "romance",
     "sweetheart"},
    {"spaceship", "robot", "android", "galaxy", "laser", "colony", "cyborg", "future", "experiment",
     "planet"},
    {"school", "friends", "cafe", "summer", "club", "hometown", "daily", "festival", "neighbor",
     "routine"},
    {"tournament", "team", "match", "coach", "baseball", "volleyball", "stadium", "training",
     "champion", "goal"},
    {"spirit", "demon", "ghost", "shrine", "youkai", "power", "possession", "exorcist", "afterlife",
     "omen"},
    {"conspiracy", "hostage", "countdown", "deadline", "trap", "tension", "escape", "pursuit",
     "gamble", "threat"},
    {"swimsuit", "bath", "fanservice", "springs", "flirt", "blush", "beach", "accident"},
    {"desire", "passion", "seduction", "affair", "temptation", "intimate"},
    {"lust", "forbidden", "seduction", "desire", "intimate", "passion"},
}};

constexpr std::array<std::string_view, 64> kCommonWords = {
    "the",      "a",       "young",      "girl",       "boy",    "world",  "city",     "life",
    "day",      "finds",   "must",       "after",      "when",   "their",  "new",      "old",
    "suddenly", "begins",  "discovers",  "everything", "one",    "who",    "with",     "of",
    "in",       "to",      "and",        "her",        "his",    "they",   "students", "years",
    "ago",      "town",    "mysterious", "strange",    "power",  "first",  "last",     "time",
    "story",    "follows", "meets",      "lives",      "home",   "never",  "always",   "night",
    "together", "alone",   "brother",    "sister",     "father", "mother", "friend",   "begins",
    "changes",  "forever", "hidden",     "truth",      "past",   "fate",   "hope",     "soon",
};

struct Syllable {
  std::string_view romaji;
  std::string_view kana;
};

constexpr std::array<Syllable, 56> kSyllables = {{
    {"ka", "カ"},    {"ki", "キ"}, {"ku", "ク"}, {"ke", "ケ"}, {"ko", "コ"}, {"sa", "サ"},
    {"shi", "シ"},   {"su", "ス"}, {"se", "セ"}, {"so", "ソ"}, {"ta", "タ"}, {"chi", "チ"},
    {"tsu", "ツ"},   {"te", "テ"}, {"to", "ト"}, {"na", "ナ"}, {"ni", "ニ"}, {"nu", "ヌ"},
    {"ne", "ネ"},    {"no", "ノ"}, {"ha", "ハ"}, {"hi", "ヒ"}, {"fu", "フ"}, {"he", "ヘ"},
    {"ho", "ホ"},    {"ma", "マ"}, {"mi", "ミ"}, {"mu", "ム"}, {"me", "メ"}, {"mo", "モ"},
    {"ya", "ヤ"},    {"yu", "ユ"}, {"yo", "ヨ"}, {"ra", "ラ"}, {"ri", "リ"}, {"ru", "ル"},
    {"re", "レ"},    {"ro", "ロ"}, {"wa", "ワ"}, {"ga", "ガ"}, {"gi", "ギ"}, {"go", "ゴ"},
    {"za", "ザ"},    {"ji", "ジ"}, {"zu", "ズ"}, {"da", "ダ"}, {"de", "デ"}, {"do", "ド"},
    {"ba", "バ"},    {"bi", "ビ"}, {"bu", "ブ"}, {"be", "ベ"}, {"bo", "ボ"}, {"ryu", "リュウ"},
    {"sho", "ショ"}, {"n", "ン"},  // never first in a word
}};

constexpr std::array<std::string_view, 6> kParticles = {"no", "wa", "to", "ga", "de", "ni"};
constexpr std::array<std::string_view, 12> kTitleSuffixes = {
    " 2nd Season", " Season 2", " Movie", " OVA", " Specials",   " (TV)",
    " Final",      " Zoku",     "!!",     "!",    " 3rd Season", " Picture Drama"};
constexpr std::array<std::string_view, 24> kEnglishWords = {
    "Legend", "Sky",   "Blade",  "Heart",  "Star",   "Dream", "Night",  "Dragon",
    "Spirit", "World", "Garden", "Knight", "Moon",   "Storm", "Memory", "Promise",
    "Shadow", "Light", "Song",   "Summer", "Winter", "Hero",  "Witch",  "Kingdom"};
constexpr std::array<std::string_view, 8> kEnglishAdjectives = {
    "Lost", "Eternal", "Silent", "Crimson", "Little", "Last", "Broken", "Hidden"};
constexpr std::array<std::string_view, 12> kLicensors = {
    "Northwind Media",      "Aozora Licensing",    "Blue Lantern Films", "Harbor Entertainment",
    "Kitsune Releasing",    "Silverline Pictures", "Maple Leaf Video",   "Polaris Home Video",
    "Redwood Distribution", "Sakura Bridge",       "Tidewater Studios",  "Lumen Anime Group"};
constexpr std::array<std::string_view, 8> kCompanySuffixes = {
    "Animation", "Pictures", "Works", "Film", "Studio", "Production", "Creative", "Entertainment"};

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr std::array<Weighted, 7> kTypes2023 = {{{"TV", 7600},
                                                 {"Movie", 4380},
                                                 {"OVA", 4076},
                                                 {"ONA", 3533},
                                                 {"Special", 2558},
                                                 {"Music", 2686},
                                                 {"UNKNOWN", 74}}};
constexpr std::array<Weighted, 7> kTypes2016 = {{{"TV", 3787},
                                                 {"OVA", 3311},
                                                 {"Movie", 2348},
                                                 {"Special", 1676},
                                                 {"ONA", 659},
                                                 {"Music", 488},
                                                 {"", 25}}};
constexpr std::array<Weighted, 14> kSources = {{{"Original", 23},
                                                {"Manga", 28},
                                                {"Light novel", 8},
                                                {"Visual novel", 5},
                                                {"Web manga", 4},
                                                {"Novel", 3},
                                                {"Game", 5},
                                                {"4-koma manga", 2},
                                                {"Web novel", 2},
                                                {"Other", 2},
                                                {"Music", 2},
                                                {"Picture book", 1},
                                                {"Mixed media", 1},
                                                {"Unknown", 14}}};
constexpr std::array<Weighted, 6> kAgeRatings = {{{"PG-13 - Teens 13 or older", 45},
                                                  {"G - All Ages", 20},
                                                  {"PG - Children", 12},
                                                  {"R - 17+ (violence & profanity)", 12},
                                                  {"R+ - Mild Nudity", 8},
                                                  {"UNKNOWN", 3}}};

constexpr std::string_view kNoSynopsis =
    "No synopsis information has been added to this title. Help improve our database by adding "
    "a synopsis here.";

// ---------------------------------------------------------------------------
// Text: made-up names with the quirks real ones have (commas, quotes,
// apostrophes, ampersands) so writers and loaders must quote and unquote.

void capitalize(std::string& s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
}

// A Japanese-sounding word: its romaji and its katakana.
struct Word {
  std::string romaji;
  std::string kana;
};

Word make_word(Rng& rng, int min_syllables, int max_syllables) {
  Word w;
  int n = static_cast<int>(rng.range(min_syllables, max_syllables));
  for (int i = 0; i < n; ++i) {
    // 'n' is last in the table and only allowed after the first syllable.
    size_t choices = kSyllables.size() - (i == 0 ? 1 : 0);
    const Syllable& s = kSyllables[rng.below(choices)];
    w.romaji += s.romaji;
    w.kana += s.kana;
  }
  return w;
}

std::string romaji_word(Rng& rng) {
  Word w = make_word(rng, 2, 4);
  capitalize(w.romaji);
  return std::move(w.romaji);
}

std::string make_title(Rng& rng) {
  std::string t = romaji_word(rng);
  double shape = rng.uniform();
  // One draw per statement: the order in which function arguments are
  // evaluated is unspecified, and the bytes must not depend on the compiler.
  if (shape < 0.30) {
    t += fmt::format(" {} ", rng.pick(kParticles));
    t += romaji_word(rng);
  } else if (shape < 0.45) {
    t += ": " + romaji_word(rng);
    t += " " + romaji_word(rng);
  } else if (shape < 0.60) {
    t += " " + romaji_word(rng);
  }
  double quirk = rng.uniform();
  if (quirk < 0.05) {
    t += ", " + romaji_word(rng);  // "A, B to C"
    t += " to " + romaji_word(rng);
  } else if (quirk < 0.08) {
    t += fmt::format(": \"{}\" Hen", romaji_word(rng));  // Tokyo Ghoul: "Jack"
  } else if (quirk < 0.12) {
    t += "'";  // Gintama'
  } else if (quirk < 0.14) {
    t += fmt::format("'s {}", rng.pick(kEnglishWords));
  } else if (quirk < 0.16) {
    t += fmt::format(" & {}", romaji_word(rng));
  }
  if (rng.chance(0.2)) t += rng.pick(kTitleSuffixes);
  return t;
}

std::string make_english_name(Rng& rng) {
  double shape = rng.uniform();
  std::string s;
  if (shape < 0.4) {
    s = "The ";
    s += rng.pick(kEnglishAdjectives);
    s += " ";
    s += rng.pick(kEnglishWords);
  } else if (shape < 0.8) {
    s = rng.pick(kEnglishWords);
    s += " of the ";
    s += rng.pick(kEnglishWords);
  } else {
    s = rng.pick(kEnglishWords);
    s += ": ";
    s += rng.pick(kEnglishAdjectives);
    s += " ";
    s += rng.pick(kEnglishWords);
  }
  return s;
}

std::string make_other_name(Rng& rng) {
  std::string s = make_word(rng, 2, 4).kana;
  if (rng.chance(0.5)) s += "の" + make_word(rng, 2, 3).kana;
  return s;
}

std::string make_username(Rng& rng) {
  // MAL itself forbids commas and quotes in usernames; a few here anyway, so
  // every loader must handle quoted fields in the ratings file as well.
  double quirk = rng.uniform();
  if (quirk < 0.015) {
    std::string s = romaji_word(rng);
    return s + ", " + romaji_word(rng);
  }
  if (quirk < 0.03) {
    std::string s = "\"" + romaji_word(rng) + "\"";
    return s + std::to_string(rng.below(100));
  }
  std::string s = make_word(rng, 2, 3).romaji;
  if (rng.chance(0.5)) capitalize(s);
  if (rng.chance(0.2)) s += "_" + make_word(rng, 2, 3).romaji;
  if (rng.chance(0.4)) s += std::to_string(rng.below(1000));
  return s;
}

// Sentences of common words mixed with the anime's genre words, with commas,
// quoted words and paragraph breaks (embedded newlines) like MAL synopses.
std::string make_synopsis(Rng& rng, const std::vector<int32_t>& genres) {
  if (rng.chance(0.04)) return std::string(kNoSynopsis);
  std::string s;
  int sentences = static_cast<int>(rng.range(2, 6));
  for (int i = 0; i < sentences; ++i) {
    if (i > 0) s += rng.chance(0.12) ? "\n\n" : " ";
    int words = static_cast<int>(rng.range(6, 15));
    for (int w = 0; w < words; ++w) {
      bool genre_word = !genres.empty() && rng.chance(0.45);
      std::string word(genre_word ? rng.pick(kGenreWords[genres[rng.below(genres.size())]])
                                  : rng.pick(kCommonWords));
      if (w == 0) capitalize(word);
      if (w > 0 && w + 1 < words && rng.chance(0.04)) word = "\"" + word + "\"";
      s += word;
      if (w + 1 < words) s += rng.chance(0.07) ? ", " : " ";
    }
    s += rng.chance(0.1) ? "!" : ".";
  }
  if (rng.chance(0.15)) s += "\n\n[Written by MAL Rewrite]";
  return s;
}

// Made-up company names, distinct.
std::vector<std::string> make_companies(Rng& rng, size_t n) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  while (names.size() < n) {
    std::string name;
    if (rng.chance(0.3)) {
      name = "Studio " + romaji_word(rng);
    } else {
      name = romaji_word(rng);
      name += fmt::format(" {}", rng.pick(kCompanySuffixes));
    }
    if (seen.insert(name).second) names.push_back(name);
  }
  return names;
}

// 2016's anime.csv stores names HTML-escaped (Gintama&#039;, &quot;Jack&quot;).
std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '\'') {
      out += "&#039;";
    } else if (c == '"') {
      out += "&quot;";
    } else {
      out += c;
    }
  }
  return out;
}

// RFC 4180 as pandas writes it: quote only fields that need it, double quotes.
void append_csv(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\n\r") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// pandas writes float columns with the shortest form, keeping one decimal:
// 8.00 -> "8.0", 7.80 -> "7.8", 7.83 -> "7.83".
std::string score_text(double score) {
  std::string s = fmt::format("{:.2f}", score);
  if (s.back() == '0') s.pop_back();
  return s;
}

// ---------------------------------------------------------------------------
// Output: big blocks through fwrite, so 1 GB costs about as much as the disk.

class BlockWriter {
 public:
  static constexpr size_t kBlock = 8u << 20;

  BlockWriter(const std::string& temp_path, std::string shown_path)
      : shown_path_(std::move(shown_path)), file_(std::fopen(temp_path.c_str(), "wb")) {
    if (file_ == nullptr) {
      throw IoError(fmt::format("cannot write {}: {}", shown_path_, std::strerror(errno)));
    }
    buf_ = std::make_unique<char[]>(kBlock);
  }
  ~BlockWriter() {
    if (file_ != nullptr) std::fclose(file_);
  }
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  // Room for n bytes at the returned pointer; advance with commit(n).
  char* reserve(size_t n) {
    if (used_ + n > kBlock) flush();
    if (n > kBlock) throw IoError(fmt::format("internal: record of {} bytes", n));
    return buf_.get() + used_;
  }
  void commit(size_t n) { used_ += n; }
  void append(std::string_view s) {
    if (s.size() > kBlock) {
      flush();
      write_raw(s.data(), s.size());
      return;
    }
    std::memcpy(reserve(s.size()), s.data(), s.size());
    commit(s.size());
  }
  void close() {
    flush();
    int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0)
      throw IoError(fmt::format("cannot write {}: {}", shown_path_, std::strerror(errno)));
  }

 private:
  void flush() {
    write_raw(buf_.get(), used_);
    used_ = 0;
  }
  void write_raw(const char* p, size_t n) {
    if (n > 0 && std::fwrite(p, 1, n, file_) != n) {
      throw IoError(fmt::format("cannot write {}: {}", shown_path_, std::strerror(errno)));
    }
    written_ += n;
  }
  std::string shown_path_;
  FILE* file_;
  std::unique_ptr<char[]> buf_;
  size_t used_ = 0;
  uint64_t written_ = 0;
};

// ---------------------------------------------------------------------------
// The model.

std::vector<int64_t> gapped_ids(int64_t n, Rng& rng, double gap_share, int max_gap) {
  std::vector<int64_t> ids(static_cast<size_t>(n));
  int64_t id = 1;
  for (auto& x : ids) {
    x = id;
    id += 1 + (rng.chance(gap_share) ? rng.range(1, max_gap) : 0);
  }
  return ids;
}

std::vector<double> normal_vector(Rng& rng, int n, double sd) {
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) x = sd * rng.normal();
  return v;
}

template <size_t N>
void build_genres(SynthModel& m, const std::array<Weighted, N>& genres, uint64_t seed) {
  Rng rng(seed, kGenreStream);
  int f = m.factors;
  // Unit-length in expectation, so an anime's affinity scale does not depend
  // on the number of factors.
  for (const auto& g : genres) {
    m.genre_names.emplace_back(g.name);
    for (double x : normal_vector(rng, f, 1.0 / std::sqrt(f))) {
      m.genre_factors.push_back(static_cast<float>(x));
    }
  }
}

// How many genres an anime lists: both files average 2.5-3, some list none.
int genre_count(Rng& rng, bool layout2016) {
  static constexpr std::array<double, 8> k2023 = {0.08, 0.20, 0.27, 0.23, 0.14, 0.06, 0.02, 0};
  static constexpr std::array<double, 8> k2016 = {0.005, 0.12, 0.22, 0.25, 0.2, 0.12, 0.06, 0.025};
  const auto& p = layout2016 ? k2016 : k2023;
  double x = rng.uniform();
  for (size_t k = 0; k < p.size(); ++k) {
    if (x < p[k]) return static_cast<int>(k);
    x -= p[k];
  }
  return 1;
}

template <size_t N>
std::vector<int32_t> draw_genres(Rng& rng, const std::array<Weighted, N>& genres, int count,
                                 const SynthModel& m) {
  std::vector<int32_t> chosen;
  double total = 0;
  for (const auto& g : genres) total += g.weight;
  while (static_cast<int>(chosen.size()) < count) {
    double x = rng.uniform() * total;
    int32_t k = 0;
    while (k + 1 < static_cast<int32_t>(N) && x >= genres[k].weight) x -= genres[k++].weight;
    if (std::find(chosen.begin(), chosen.end(), k) == chosen.end()) chosen.push_back(k);
  }
  // Real files list genres alphabetically.
  std::sort(chosen.begin(), chosen.end(),
            [&](int32_t a, int32_t b) { return m.genre_names[a] < m.genre_names[b]; });
  return chosen;
}

// Weight (r + offset)^-exponent for the item at each rank r (from 1) of `order`.
std::vector<double> zipf_over(const std::vector<size_t>& order, double exponent,
                              double offset = 0) {
  std::vector<double> w(order.size());
  for (size_t r = 0; r < order.size(); ++r) {
    w[order[r]] = std::pow(static_cast<double>(r + 1) + offset, -exponent);
  }
  return w;
}

template <size_t N>
void build_anime(SynthModel& m, const std::array<Weighted, N>& genres, const SynthOptions& o) {
  Rng rng(o.seed, kAnimeStream);
  const auto n = static_cast<size_t>(o.anime);
  const int f = m.factors;
  m.anime_ids = gapped_ids(o.anime, rng, 0.45, 4);

  // A random order of the anime: its ranks are their popularity ranks.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  // Zipf popularity over a random order of the anime: the built-in offset
  // Zipf (a flatter head, as MyAnimeList's) unless a pure exponent is asked for.
  m.anime_popularity = o.popularity_skew > 0
                           ? zipf_over(order, o.popularity_skew)
                           : zipf_over(order, kPopularityExponent, kPopularityOffset);
  // Standardized log popularity, to make popular anime a little better.
  std::vector<double> logpop(n);
  double mean = 0, var = 0;
  for (size_t a = 0; a < n; ++a) mean += (logpop[a] = std::log(m.anime_popularity[a])) / n;
  for (size_t a = 0; a < n; ++a) var += (logpop[a] - mean) * (logpop[a] - mean) / n;
  double sd = var > 0 ? std::sqrt(var) : 1.0;

  m.anime_genre_offsets.assign(1, 0);
  m.anime_factors.resize(n * f);
  m.anime_bias.resize(n);
  m.community_score.resize(n);
  m.anime_titles.resize(n);
  const bool is2016 = o.layout == "mal2016";
  for (size_t a = 0; a < n; ++a) {
    std::vector<int32_t> g = draw_genres(rng, genres, genre_count(rng, is2016), m);
    m.anime_genre_values.insert(m.anime_genre_values.end(), g.begin(), g.end());
    m.anime_genre_offsets.push_back(static_cast<int64_t>(m.anime_genre_values.size()));
    std::vector<double> noise = normal_vector(rng, f, kAnimeFactorNoise / std::sqrt(f));
    for (int c = 0; c < f; ++c) {
      double mean_genre = 0;
      for (int32_t k : g) mean_genre += m.genre_factors[k * f + c] / static_cast<double>(g.size());
      m.anime_factors[a * f + c] = static_cast<float>(mean_genre + noise[c]);
    }
    double b = kAnimeBiasPopularity * (logpop[a] - mean) / sd + kAnimeBiasSd * rng.normal();
    m.anime_bias[a] = static_cast<float>(b);
    double cs = kCommunityBase + kCommunitySpread * b + 0.15 * rng.normal();
    // Soft ceiling: MAL's best anime sit near 9.1-9.4, none pile up at a cap.
    if (cs > 8.8) cs = 8.8 + 0.6 * std::tanh((cs - 8.8) / 0.6);
    m.community_score[a] = static_cast<float>(std::round(std::max(cs, 1.8) * 100) / 100);
    m.anime_titles[a] = make_title(rng);
  }
  // Center the biases on the average *rating* (popularity-weighted), so the
  // score histogram does not drift with the number of anime: with 25k anime
  // the rows concentrate on a head that is far more popular than the mean.
  double weighted = 0, total = 0;
  for (size_t a = 0; a < n; ++a) {
    weighted += m.anime_popularity[a] * m.anime_bias[a];
    total += m.anime_popularity[a];
  }
  for (auto& b : m.anime_bias) b = static_cast<float>(b - weighted / total);
}

// Ratings per user: 1 each, plus a heavy-tailed (Lomax) share of the rest,
// capped at the number of anime; what the cap cuts goes to the others.
std::vector<int64_t> activity_counts(const SynthOptions& o) {
  Rng rng(o.seed, kActivityStream);
  const auto n = static_cast<size_t>(o.users);
  std::vector<double> w(n);
  if (o.activity_skew > 0) {  // Zipf over a random order of the users
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    w = zipf_over(order, o.activity_skew);
  } else {
    for (auto& x : w) x = std::pow(rng.uniform_open(), -1.0 / kActivityShape) - 1.0;
  }
  std::vector<int64_t> counts(n, 1);
  const int64_t cap = o.anime;
  int64_t remaining = o.ratings - o.users;
  while (remaining > 0) {
    double total = 0;
    int64_t open = 0;
    for (size_t u = 0; u < n; ++u) {
      if (counts[u] < cap) total += w[u], ++open;
    }
    int64_t added = 0;
    if (remaining > open && total > 0) {
      const double share = static_cast<double>(remaining) / total;
      for (size_t u = 0; u < n; ++u) {
        if (counts[u] >= cap) continue;
        auto add = std::min(cap - counts[u], static_cast<int64_t>(w[u] * share));
        counts[u] += add;
        added += add;
      }
      remaining -= added;
    }
    // Rounding leftovers (fewer than users with room, or no progress): one
    // more each, from a random starting user, until done.
    if (added == 0 || remaining <= open) {
      size_t u = rng.below(n);
      while (remaining > 0) {
        if (counts[u] < cap) ++counts[u], --remaining;
        u = (u + 1) % n;
      }
    }
  }
  return counts;
}

void build_users(SynthModel& m, const SynthOptions& o) {
  Rng rng(o.seed, kUserStream);
  const auto n = static_cast<size_t>(o.users);
  const int f = m.factors;
  m.user_ids = gapped_ids(o.users, rng, 0.3, 5);
  m.user_factors.resize(n * f);
  m.user_bias.resize(n);
  for (size_t u = 0; u < n; ++u) {
    for (int c = 0; c < f; ++c)
      m.user_factors[u * f + c] = static_cast<float>(kUserFactorSd * rng.normal());
    m.user_bias[u] = static_cast<float>(kUserBiasSd * rng.normal());
  }
  m.user_rating_counts = activity_counts(o);
}

// ---------------------------------------------------------------------------
// Rating rows.

double watch_probability(const SynthModel& m, int64_t u, int64_t a) {
  return 1.0 / (1.0 + std::exp(-kSelectivity * m.affinity(u, a)));
}

int draw_score(const SynthModel& m, int64_t u, int64_t a, double noise, Rng& rng) {
  double v = m.mu + m.user_bias[u] + m.anime_bias[a] + m.affinity(u, a) + noise * rng.normal();
  if (rng.chance(kGrudgeShare)) v -= kGrudgeSd * std::fabs(rng.normal());
  return static_cast<int>(std::floor(std::clamp(v, 1.0, 10.0) + 0.5));
}

// Picks which anime one user rated: popularity times taste, all distinct.
class AnimePicker {
 public:
  explicit AnimePicker(const SynthModel& m)
      : m_(m), alias_(m.anime_popularity), mark_(static_cast<size_t>(m.anime()), -1) {}

  // Fills `chosen` with `k` distinct anime indices in increasing order.
  void pick(int64_t u, int64_t k, Rng& rng, std::vector<int32_t>& chosen) {
    chosen.clear();
    const int64_t n = m_.anime();
    // Rejection is fast while the user's anime are a small part of the
    // popularity mass; heavy users (and unlucky ones) finish with a weighted
    // draw without replacement over everything not yet chosen.
    if (k * 3 < n) {
      int64_t budget = 32 * k + 256;
      while (static_cast<int64_t>(chosen.size()) < k && budget-- > 0) {
        int32_t a = alias_.sample(rng);
        if (mark_[a] == u || !rng.chance(watch_probability(m_, u, a))) continue;
        mark_[a] = u;
        chosen.push_back(a);
      }
    }
    if (static_cast<int64_t>(chosen.size()) < k)
      fill_weighted(u, k - static_cast<int64_t>(chosen.size()), rng, chosen);
    std::sort(chosen.begin(), chosen.end());
  }

 private:
  // Efraimidis-Spirakis: the k largest log(U)/w are a weighted sample without
  // replacement. Ties broken by index so the set does not depend on the library.
  void fill_weighted(int64_t u, int64_t need, Rng& rng, std::vector<int32_t>& chosen) {
    keys_.clear();
    for (int32_t a = 0; a < static_cast<int32_t>(m_.anime()); ++a) {
      if (mark_[a] == u) continue;
      double w = m_.anime_popularity[a] * watch_probability(m_, u, a);
      keys_.emplace_back(std::log(rng.uniform_open()) / w, a);
    }
    auto mid = keys_.begin() + need;
    std::nth_element(keys_.begin(), mid, keys_.end(), std::greater<>());
    for (auto it = keys_.begin(); it != mid; ++it) {
      mark_[it->second] = u;
      chosen.push_back(it->second);
    }
  }

  const SynthModel& m_;
  AliasTable alias_;
  std::vector<int64_t> mark_;  // mark_[a] == u: user u already has anime a
  std::vector<std::pair<double, int32_t>> keys_;
};

// The per-anime part of a rating row, precomputed once: "id," (+ "title," for 2023).
struct AnimeCells {
  std::string arena;
  std::vector<size_t> offsets;
  std::string_view operator[](size_t a) const {
    return std::string_view(arena).substr(offsets[a], offsets[a + 1] - offsets[a]);
  }
};

AnimeCells anime_cells(const SynthModel& m, bool with_title) {
  AnimeCells cells;
  cells.offsets.push_back(0);
  for (int64_t a = 0; a < m.anime(); ++a) {
    cells.arena += std::to_string(m.anime_ids[a]);
    cells.arena += ',';
    if (with_title) {
      append_csv(cells.arena, m.anime_titles[a]);
      cells.arena += ',';
    }
    cells.offsets.push_back(cells.arena.size());
  }
  return cells;
}

int64_t write_ratings(const SynthModel& m, const SynthOptions& o, const std::string& temp_path,
                      const std::string& shown_path) {
  const bool is2016 = o.layout == "mal2016";
  BlockWriter out(temp_path, shown_path);
  out.append(is2016 ? "user_id,anime_id,rating\n"
                    : "user_id,Username,anime_id,Anime Title,rating\n");
  const AnimeCells cells = anime_cells(m, !is2016);
  AnimePicker picker(m);
  Progress progress("synth: " + fs::path(shown_path).filename().string(),
                    static_cast<uint64_t>(o.ratings), "rows", o.quiet);
  std::vector<int32_t> chosen;
  std::string prefix;
  int64_t rows = 0;
  for (int64_t u = 0; u < m.users(); ++u) {
    Rng rng(o.seed, kRowStream, static_cast<uint64_t>(u));
    picker.pick(u, m.user_rating_counts[u], rng, chosen);
    prefix = std::to_string(m.user_ids[u]) + ',';
    if (!is2016) {
      Rng name_rng(o.seed, kNameStream, static_cast<uint64_t>(u));
      append_csv(prefix, make_username(name_rng));
      prefix += ',';
    }
    for (int32_t a : chosen) {
      int score = draw_score(m, u, a, o.noise, rng);
      if (is2016 && rng.chance(o.unrated_fraction)) score = -1;  // watched, not rated
      std::string_view cell = cells[a];
      char* p = out.reserve(prefix.size() + cell.size() + 4);
      char* q = p;
      std::memcpy(q, prefix.data(), prefix.size());
      q += prefix.size();
      std::memcpy(q, cell.data(), cell.size());
      q += cell.size();
      if (score < 0) {
        *q++ = '-';
        *q++ = '1';
      } else if (score == 10) {
        *q++ = '1';
        *q++ = '0';
      } else {
        *q++ = static_cast<char>('0' + score);
      }
      *q++ = '\n';
      out.commit(static_cast<size_t>(q - p));
    }
    int64_t before = rows;
    rows += static_cast<int64_t>(chosen.size());
    // rows = -1: the unit is already rows, no second rate.
    if ((before >> 16) != (rows >> 16)) progress.update(static_cast<uint64_t>(rows), -1);
  }
  out.close();
  progress.finish(static_cast<uint64_t>(rows), -1);
  return rows;
}

// MovieLens-shaped ratings (u.data: user<TAB>item<TAB>stars<TAB>timestamp),
// the same planted structure mapped to 1..5 stars so that the star histogram
// is close to MovieLens 100K's (about 6/11/27/34/21 %): 1..5 -> 1, 6 -> 2,
// 7 -> 3, 8 -> 3 or 4 (a coin), 9 -> 4, 10 -> 5.
int stars_of(int score, Rng& rng) {
  if (score <= 5) return 1;
  if (score == 8) return rng.chance(0.5) ? 3 : 4;
  return score == 6 ? 2 : score == 7 ? 3 : score == 9 ? 4 : 5;
}

int64_t write_movielens(const SynthModel& m, const SynthOptions& o, const std::string& temp_path,
                        const std::string& shown_path) {
  BlockWriter out(temp_path, shown_path);
  AnimePicker picker(m);
  Progress progress("synth: " + fs::path(shown_path).filename().string(),
                    static_cast<uint64_t>(o.ratings), "rows", o.quiet);
  constexpr int64_t kFirstTimestamp = 874724710;  // MovieLens 100K's first day
  std::vector<int32_t> chosen;
  int64_t rows = 0;
  for (int64_t u = 0; u < m.users(); ++u) {
    Rng rng(o.seed, kRowStream, static_cast<uint64_t>(u));
    picker.pick(u, m.user_rating_counts[u], rng, chosen);
    for (int32_t a : chosen) {
      int stars = stars_of(draw_score(m, u, a, o.noise, rng), rng);
      auto timestamp = kFirstTimestamp + static_cast<int64_t>(rng.uniform_open() * 18e6);
      std::string line =
          fmt::format("{}\t{}\t{}\t{}\n", m.user_ids[u], m.anime_ids[a], stars, timestamp);
      char* p = out.reserve(line.size());
      std::memcpy(p, line.data(), line.size());
      out.commit(line.size());
    }
    rows += static_cast<int64_t>(chosen.size());
  }
  out.close();
  progress.finish(static_cast<uint64_t>(rows), -1);
  return rows;
}

// ---------------------------------------------------------------------------
// Anime metadata.

// Numbers about one anime that both layouts need (some before writing, for ranks).
struct AnimeFacts {
  std::string type;
  int episodes = -1;  // -1: unknown
  int64_t members = 0;
  int64_t scored_by = -1;  // -1: unknown
  double score = -1;       // -1: unknown
  int64_t favorites = 0;
};

int draw_episodes(Rng& rng, std::string_view type) {
  if (type == "TV") {
    static constexpr std::array<int, 12> kCommon = {12, 12, 12, 13, 13, 24, 25, 26, 10, 11, 50, 51};
    return rng.chance(0.9) ? rng.pick(kCommon) : static_cast<int>(rng.range(14, 220));
  }
  if (type == "OVA") return static_cast<int>(rng.chance(0.5) ? 1 : rng.range(2, 6));
  if (type == "ONA") return static_cast<int>(rng.range(1, 26));
  if (type == "Special") return static_cast<int>(rng.chance(0.5) ? 1 : rng.range(2, 12));
  return 1;  // Movie, Music, unknown type
}

std::vector<AnimeFacts> anime_facts(const SynthModel& m, const SynthOptions& o) {
  const bool is2016 = o.layout == "mal2016";
  const double top = *std::max_element(m.anime_popularity.begin(), m.anime_popularity.end());
  std::vector<AnimeFacts> facts(static_cast<size_t>(m.anime()));
  for (int64_t a = 0; a < m.anime(); ++a) {
    Rng rng(o.seed, kMetaStream, static_cast<uint64_t>(a));
    AnimeFacts& f = facts[a];
    f.type = std::string(is2016 ? pick_weighted(rng, kTypes2016) : pick_weighted(rng, kTypes2023));
    f.episodes = draw_episodes(rng, f.type);
    if (rng.chance(is2016 ? 0.028 : 0.02)) f.episodes = -1;
    // Members follow popularity (MAL's most popular anime has ~3.7M).
    double members =
        3.7e6 * std::pow(m.anime_popularity[a] / top, 1.25) * std::exp(0.25 * rng.normal());
    f.members = std::max<int64_t>(5, std::llround(members));
    f.scored_by = std::llround(static_cast<double>(f.members) * (0.3 + 0.4 * rng.uniform()));
    f.favorites = std::llround(static_cast<double>(f.members) * 0.004 *
                               std::exp(1.2 * (m.community_score[a] - 7.0) + 0.5 * rng.normal()));
    // MAL shows no score for little-rated anime.
    bool unscored = is2016 ? rng.chance(0.019) : (f.scored_by < 150 || rng.chance(0.02));
    if (unscored) {
      f.scored_by = -1;
    } else {
      f.score = m.community_score[a];
    }
  }
  return facts;
}

// Rank positions (1 = best) of the anime by key, descending; ties by index.
std::vector<int64_t> rank_by(const std::vector<double>& key) {
  std::vector<int64_t> order(key.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return key[a] > key[b]; });
  std::vector<int64_t> rank(key.size());
  for (size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<int64_t>(r + 1);
  return rank;
}

std::string join_list(const std::vector<std::string_view>& items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += ", ";
    s += items[i];
  }
  return s;
}

// A few names from a power-law list (a handful of big studios do most shows).
std::string draw_companies(Rng& rng, const std::vector<std::string>& names, const AliasTable& alias,
                           int count) {
  std::vector<int32_t> chosen;
  for (int tries = 0; static_cast<int>(chosen.size()) < count && tries < 50; ++tries) {
    int32_t c = alias.sample(rng);
    if (std::find(chosen.begin(), chosen.end(), c) == chosen.end()) chosen.push_back(c);
  }
  std::vector<std::string_view> items;
  for (int32_t c : chosen) items.push_back(names[c]);
  return join_list(items);
}

struct Date {
  int year, month, day;
};

// Days since 1970-01-01 and back (Howard Hinnant's civil calendar algorithms).
int64_t days_from_civil(Date d) {
  int64_t y = d.year - (d.month <= 2);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + d.day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date civil_from_days(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {static_cast<int>(yoe + era * 400 + (month <= 2)), month, day};
}

std::string date_text(Date d) {
  return fmt::format("{} {}, {}", kMonths[d.month - 1], d.day, d.year);
}

std::string_view season_of(int month) {
  static constexpr std::array<std::string_view, 4> kSeasons = {"winter", "spring", "summer",
                                                               "fall"};
  return kSeasons[(month - 1) / 3];
}

std::string duration_text(Rng& rng, std::string_view type, int episodes) {
  int minutes = 24;
  if (type == "Movie") {
    minutes = static_cast<int>(rng.range(45, 130));
  } else if (type == "Music") {
    minutes = static_cast<int>(rng.range(2, 6));
  } else if (type == "ONA" || type == "Special") {
    minutes = static_cast<int>(rng.range(2, 25));
  } else if (type == "OVA") {
    minutes = static_cast<int>(rng.range(20, 50));
  } else if (rng.chance(0.2)) {
    minutes = static_cast<int>(rng.range(3, 30));
  }
  std::string s = minutes >= 60 ? fmt::format("{} hr {} min", minutes / 60, minutes % 60)
                                : fmt::format("{} min", minutes);
  if (episodes != 1) s += " per ep";
  return s;
}

// Airing dates, status and season, consistent with each other.
struct Airing {
  std::string aired, premiered, status;
};

Airing draw_airing(Rng& rng, std::string_view type, int episodes) {
  Airing r;
  int year = 2023 - static_cast<int>(62 * std::pow(rng.uniform(), 1.7));
  Date start{year, static_cast<int>(rng.range(1, 12)), static_cast<int>(rng.range(1, 28))};
  if (rng.chance(0.006)) {  // announced only
    r.aired = fmt::format("{} to ?", std::min(year + 1, 2024));
    r.premiered = "UNKNOWN";
    r.status = "Not yet aired";
    return r;
  }
  int weeks = std::max(episodes, 1) - 1;
  Date end = civil_from_days(days_from_civil(start) + 7 * weeks);
  bool airing = episodes != 1 && end.year > 2023;
  r.status = airing ? "Currently Airing" : "Finished Airing";
  if (episodes == 1) {
    r.aired = date_text(start);
  } else {
    r.aired =
        date_text(start) + " to " + (airing || episodes < 0 ? std::string("?") : date_text(end));
  }
  r.premiered = type == "TV" ? fmt::format("{} {}", season_of(start.month), start.year) : "UNKNOWN";
  return r;
}

class Anime2023Writer {
 public:
  Anime2023Writer(const SynthModel& m, const SynthOptions& o)
      : m_(m), o_(o), facts_(anime_facts(m, o)) {
    Rng rng(o.seed, kCompanyStream);
    studios_ = make_companies(rng, static_cast<size_t>(std::max<int64_t>(40, o.anime / 25)));
    producers_ = make_companies(rng, static_cast<size_t>(std::max<int64_t>(60, o.anime / 15)));
    studio_alias_ = std::make_unique<AliasTable>(zipf_weights(studios_.size()));
    producer_alias_ = std::make_unique<AliasTable>(zipf_weights(producers_.size()));
    std::vector<double> members, scores;
    for (const auto& f : facts_) {
      members.push_back(static_cast<double>(f.members));
      scores.push_back(f.score);
    }
    popularity_rank_ = rank_by(members);
    score_rank_ = rank_by(scores);
  }

  void write(const std::string& temp_path, const std::string& shown_path) {
    BlockWriter out(temp_path, shown_path);
    out.append(
        "anime_id,Name,English name,Other name,Score,Genres,Synopsis,Type,Episodes,Aired,Premiered,"
        "Status,Producers,Licensors,Studios,Source,Duration,Rating,Rank,Popularity,Favorites,"
        "Scored By,Members,Image URL\n");
    std::string line;
    for (int64_t a = 0; a < m_.anime(); ++a) {
      line.clear();
      row(a, line);
      out.append(line);
    }
    out.close();
  }

 private:
  static std::vector<double> zipf_weights(size_t n) {
    std::vector<double> w(n);
    for (size_t i = 0; i < n; ++i) w[i] = 1.0 / static_cast<double>(i + 1);
    return w;
  }

  void field(std::string& line, std::string_view value, bool last = false) {
    append_csv(line, value.empty() ? std::string_view("UNKNOWN") : value);
    line += last ? '\n' : ',';
  }

  void row(int64_t a, std::string& line) {
    Rng rng(o_.seed, kTextStream, static_cast<uint64_t>(a));
    const AnimeFacts& f = facts_[a];
    std::vector<int32_t> genres(m_.anime_genre_values.begin() + m_.anime_genre_offsets[a],
                                m_.anime_genre_values.begin() + m_.anime_genre_offsets[a + 1]);
    std::vector<std::string_view> genre_names;
    bool adult = false;
    for (int32_t g : genres) {
      genre_names.push_back(m_.genre_names[g]);
      adult |= m_.genre_names[g] == "Hentai";
    }
    Airing airing = draw_airing(rng, f.type, f.episodes);
    int licensors = rng.chance(0.35) ? static_cast<int>(rng.range(1, 2)) : 0;
    std::vector<std::string_view> licensor_names;
    for (int i = 0; i < licensors; ++i) {
      std::string_view l = rng.pick(kLicensors);
      if (std::find(licensor_names.begin(), licensor_names.end(), l) == licensor_names.end()) {
        licensor_names.push_back(l);
      }
    }

    field(line, std::to_string(m_.anime_ids[a]));
    field(line, m_.anime_titles[a]);
    field(line, rng.chance(0.45) ? make_english_name(rng) : "");
    field(line, rng.chance(0.05) ? "" : make_other_name(rng));
    field(line, f.score < 0 ? "" : score_text(f.score));
    field(line, join_list(genre_names));
    field(line, make_synopsis(rng, genres));
    field(line, f.type == "UNKNOWN" ? "" : f.type);
    field(line, f.episodes < 0 ? "" : fmt::format("{}.0", f.episodes));
    field(line, airing.aired);
    field(line, airing.premiered == "UNKNOWN" ? "" : airing.premiered);
    field(line, airing.status);
    field(line, rng.chance(0.15) ? ""
                                 : draw_companies(rng, producers_, *producer_alias_,
                                                  static_cast<int>(rng.range(1, 5))));
    field(line, join_list(licensor_names));
    field(line, rng.chance(0.08)
                    ? ""
                    : draw_companies(rng, studios_, *studio_alias_, rng.chance(0.9) ? 1 : 2));
    field(line, pick_weighted(rng, kSources));
    field(line, rng.chance(0.01) ? "" : duration_text(rng, f.type, f.episodes));
    field(line, adult ? "Rx - Hentai" : pick_weighted(rng, kAgeRatings));
    field(line, f.score < 0 ? "" : fmt::format("{}.0", score_rank_[a]));
    field(line, std::to_string(popularity_rank_[a]));
    field(line, std::to_string(f.favorites));
    field(line, f.scored_by < 0 ? "" : fmt::format("{}.0", f.scored_by));
    field(line, std::to_string(f.members));
    int64_t image_dir = rng.range(1, 13);
    field(line,
          fmt::format("https://cdn.myanimelist.net/images/anime/{}/{}.jpg", image_dir,
                      rng.range(10000, 140000)),
          true);
  }

  const SynthModel& m_;
  const SynthOptions& o_;
  std::vector<AnimeFacts> facts_;
  std::vector<std::string> studios_, producers_;
  std::unique_ptr<AliasTable> studio_alias_, producer_alias_;
  std::vector<int64_t> popularity_rank_, score_rank_;
};

// anime.csv of 2016: CRLF lines, HTML-escaped names, rows by rating (best first).
void write_anime_2016(const SynthModel& m, const SynthOptions& o, const std::string& temp_path,
                      const std::string& shown_path) {
  std::vector<AnimeFacts> facts = anime_facts(m, o);
  std::vector<double> scores;
  for (const auto& f : facts) scores.push_back(f.score);
  std::vector<int64_t> rank = rank_by(scores);
  std::vector<int64_t> order(facts.size());
  for (size_t a = 0; a < facts.size(); ++a) order[rank[a] - 1] = static_cast<int64_t>(a);

  BlockWriter out(temp_path, shown_path);
  out.append("anime_id,name,genre,type,episodes,rating,members\r\n");
  std::string line;
  for (int64_t a : order) {
    const AnimeFacts& f = facts[a];
    std::vector<std::string_view> genres;
    for (int64_t i = m.anime_genre_offsets[a]; i < m.anime_genre_offsets[a + 1]; ++i) {
      genres.push_back(m.genre_names[m.anime_genre_values[i]]);
    }
    line = fmt::format("{},", m.anime_ids[a]);
    append_csv(line, html_escape(m.anime_titles[a]));
    line += ',';
    append_csv(line, join_list(genres));
    line += fmt::format(",{},{},{},{}\r\n", f.type,
                        f.episodes < 0 ? "Unknown" : std::to_string(f.episodes),
                        f.score < 0 ? "" : fmt::format("{:.2f}", f.score), f.members);
    out.append(line);
  }
  out.close();
}

}  // namespace

float SynthModel::affinity(int64_t user, int64_t anime) const {
  const float* x = &user_factors[static_cast<size_t>(user * factors)];
  const float* y = &anime_factors[static_cast<size_t>(anime * factors)];
  float s = 0;
  for (int c = 0; c < factors; ++c) s += x[c] * y[c];
  return s;
}

void validate_synth_options(const SynthOptions& o) {
  constexpr int64_t kMaxCount = std::numeric_limits<int32_t>::max();
  if (o.users < 1 || o.users > kMaxCount) {
    throw ConfigError(fmt::format("--users {} must be between 1 and {}", o.users, kMaxCount));
  }
  if (o.anime < 1 || o.anime > kMaxCount) {
    throw ConfigError(fmt::format("--anime {} must be between 1 and {}", o.anime, kMaxCount));
  }
  if (o.ratings < o.users) {
    throw ConfigError(
        fmt::format("--ratings {} is less than --users {} (every user rates at least one anime)",
                    o.ratings, o.users));
  }
  if (Uint128(o.ratings) > Uint128(o.users) * Uint128(o.anime)) {
    throw ConfigError(fmt::format(
        "--ratings {} exceeds --users {} x --anime {} (a user rates each anime at most once)",
        o.ratings, o.users, o.anime));
  }
  if (o.factors < 1 || o.factors > 1024) {
    throw ConfigError(fmt::format("--factors {} must be between 1 and 1024", o.factors));
  }
  if (o.layout != "mal2023" && o.layout != "mal2016" && o.layout != "movielens") {
    throw ConfigError(fmt::format("--layout {}: expected mal2023, mal2016 or movielens", o.layout));
  }
  if (!(o.noise >= 0 && o.noise <= 100)) {
    throw ConfigError(fmt::format("--noise {} must be between 0 and 100", o.noise));
  }
  if (!(o.popularity_skew >= 0 && o.popularity_skew <= 4)) {
    throw ConfigError(
        fmt::format("--popularity-skew {} must be between 0 and 4", o.popularity_skew));
  }
  if (!(o.activity_skew >= 0 && o.activity_skew <= 4)) {
    throw ConfigError(fmt::format("--activity-skew {} must be between 0 and 4", o.activity_skew));
  }
  if (!(o.unrated_fraction >= 0 && o.unrated_fraction < 1)) {
    throw ConfigError(fmt::format("--unrated-fraction {} must be in [0, 1)", o.unrated_fraction));
  }
}

SynthModel build_synth_model(const SynthOptions& options) {
  validate_synth_options(options);
  SynthModel m;
  m.factors = options.factors;
  m.mu = kMu;
  if (options.layout == "mal2016" || options.layout == "movielens") {
    build_genres(m, kGenres2016, options.seed);
    build_anime(m, kGenres2016, options);
  } else {
    build_genres(m, kGenres2023, options.seed);
    build_anime(m, kGenres2023, options);
  }
  build_users(m, options);
  return m;
}

SynthResult write_synthetic(const SynthOptions& options, const std::string& out_dir,
                            bool overwrite) {
  validate_synth_options(options);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir)) {
    throw IoError(fmt::format("--out {}: cannot create directory: {}", out_dir,
                              ec ? ec.message() : "not a directory"));
  }
  if (options.layout == "movielens") {
    const std::string path = (fs::path(out_dir) / "u.data").string();
    AtomicOutput out(path, overwrite, "--out");
    SynthModel m = build_synth_model(options);
    SynthResult result;
    result.rows = write_movielens(m, options, out.temp_path(), path);
    out.commit();
    result.files = {path};
    return result;
  }
  const bool is2016 = options.layout == "mal2016";
  const std::string anime_path =
      (fs::path(out_dir) / (is2016 ? "anime.csv" : "anime-dataset-2023.csv")).string();
  const std::string ratings_path =
      (fs::path(out_dir) / (is2016 ? "rating.csv" : "users-score-2023.csv")).string();
  // Both outputs are claimed before any work, and committed together at the
  // end: a failure leaves neither file (and no half-written pair).
  AtomicOutput anime_out(anime_path, overwrite, "--out");
  AtomicOutput ratings_out(ratings_path, overwrite, "--out");

  SynthModel m = build_synth_model(options);
  if (is2016) {
    write_anime_2016(m, options, anime_out.temp_path(), anime_path);
  } else {
    Anime2023Writer(m, options).write(anime_out.temp_path(), anime_path);
  }
  SynthResult result;
  result.rows = write_ratings(m, options, ratings_out.temp_path(), ratings_path);
  anime_out.commit();
  ratings_out.commit();
  result.files = {anime_path, ratings_path};
  return result;
}

}  // namespace animerec::data
