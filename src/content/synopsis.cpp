// Synopsis tokens for the TF-IDF features. Deliberately crude (no stemming,
// ASCII only): the words only need to be stable and cheap, and the hybrid
// regression decides which of them matter.

#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "animerec/content/content.h"

namespace animerec::content {

namespace {

// Common English function words, plus the words of MyAnimeList's credit line
// "[Written by MAL Rewrite]" and "(Source: ANN)", which end a large share of
// synopses and would otherwise be the most frequent "words".
constexpr std::string_view kStopWords[] = {
    "about",   "above",      "after",   "again",     "against",    "all",      "also",    "am",
    "an",      "and",        "ann",     "another",   "any",        "are",      "as",      "at",
    "be",      "because",    "been",    "before",    "being",      "below",    "between", "both",
    "but",     "by",         "can",     "could",     "did",        "do",       "does",    "doing",
    "down",    "during",     "each",    "even",      "ever",       "every",    "few",     "for",
    "from",    "further",    "get",     "gets",      "had",        "has",      "have",    "having",
    "he",      "her",        "here",    "hers",      "herself",    "him",      "himself", "his",
    "how",     "however",    "if",      "in",        "into",       "is",       "it",      "its",
    "itself",  "just",       "ll",      "mal",       "may",        "me",       "might",   "more",
    "most",    "much",       "must",    "my",        "myself",     "no",       "nor",     "not",
    "now",     "of",         "off",     "on",        "once",       "one",      "only",    "or",
    "other",   "our",        "ours",    "ourselves", "out",        "over",     "own",     "re",
    "rewrite", "same",       "shall",   "she",       "should",     "since",    "so",      "some",
    "source",  "still",      "such",    "than",      "that",       "the",      "their",   "theirs",
    "them",    "themselves", "then",    "there",     "these",      "they",     "this",    "those",
    "though",  "through",    "thus",    "to",        "too",        "under",    "until",   "up",
    "upon",    "us",         "ve",      "very",      "was",        "we",       "were",    "what",
    "when",    "where",      "whether", "which",     "while",      "who",      "whom",    "whose",
    "why",     "will",       "with",    "within",    "without",    "would",    "written", "yet",
    "you",     "your",       "yours",   "yourself",  "yourselves", "become",   "becomes", "back",
    "around",  "along",      "among",   "across",    "already",    "although", "always",
};

bool is_stop_word(std::string_view w) {
  static const std::vector<std::string_view> sorted = [] {
    std::vector<std::string_view> v(std::begin(kStopWords), std::end(kStopWords));
    std::sort(v.begin(), v.end());
    return v;
  }();
  return std::binary_search(sorted.begin(), sorted.end(), w);
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

void flush(std::string& word, std::vector<std::string>& out) {
  // One-letter tokens are mostly the tails of contractions ("it's" -> "s").
  if (word.size() >= 2 && !is_stop_word(word)) out.push_back(word);
  word.clear();
}

}  // namespace

std::vector<std::string> synopsis_words(const std::string& synopsis) {
  std::vector<std::string> out;
  std::string word;
  for (char c : synopsis) {
    if (ascii_letter(c)) {
      word.push_back(ascii_lower(c));
    } else {
      flush(word, out);
    }
  }
  flush(word, out);
  return out;
}

}  // namespace animerec::content
