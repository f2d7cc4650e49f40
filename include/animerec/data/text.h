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

// Whole-field finite decimal number.
std::optional<double> parse_number(std::string_view s);

// Decodes &amp; &lt; &gt; &quot; &apos; &#NNN; &#xHH; (as UTF-8); unknown
// entities are kept as written.
std::string decode_html_entities(std::string_view s);

// "Action, Comedy, Drama" -> {"Action", "Comedy", "Drama"}; unknown -> {}.
std::vector<std::string> split_list(std::string_view s);

}  // namespace animerec::data
