#pragma once
// Field-level parsing shared by every source layout: strict numbers (with the
// float-written integers of the 2023 files), the "Unknown" markers, HTML
// entities in MyAnimeList titles, and comma-separated lists.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace animerec::data {

std::string_view trim(std::string_view s);

// True for the markers the Kaggle files use for a missing value: "", "Unknown",
// "UNKNOWN", "Not available", "add some" (2020 producers/studios placeholder).
bool is_unknown(std::string_view s);

// Whole-field integer: optional sign, digits, and optionally ".0..." (the 2023
// file writes 26 as "26.0"). Anything else, or overflow, gives nullopt.
std::optional<int64_t> parse_int(std::string_view s);

// True when parse_int failed only because the integer does not fit in int64
// (it is written as one): messages then say "out of range", not "non-numeric".
bool integer_out_of_range(std::string_view s);

// Whole-field finite decimal number.
std::optional<double> parse_number(std::string_view s);

// Decodes &amp; &lt; &gt; &quot; &apos; &#NNN; &#xHH; (as UTF-8); unknown
// entities are kept as written.
std::string decode_html_entities(std::string_view s);

// A value as an error message shows it: NUL and other control bytes made
// visible (\0, \t, \x1b) so they neither cut nor garble the message, and a
// value longer than max_bytes cut (at a character boundary) with its length
// said: "xxxx... (10000000 bytes)".
std::string shown_value(std::string_view s, size_t max_bytes = 200);

// "Action, Comedy, Drama" -> {"Action", "Comedy", "Drama"}; unknown -> {}.
std::vector<std::string> split_list(std::string_view s);

}  // namespace animerec::data
