#include "animerec/data/text.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace animerec::data {

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
    --e;
  return s.substr(b, e - b);
}

bool is_unknown(std::string_view s) {
  s = trim(s);
  return s.empty() || s == "Unknown" || s == "UNKNOWN" || s == "Not available" || s == "add some";
}

std::optional<int64_t> parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  // Fast path for the ids of every rating row: up to 18 plain digits cannot overflow.
  if (s.size() <= 18) {
    int64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && static_cast<unsigned char>(s[i] - '0') < 10; ++i)
      v = v * 10 + (s[i] - '0');
    if (i == s.size()) return v;
  }
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p == b) return std::nullopt;
  if (p == e) return v;
  // A float-written integer: only zeros may follow the point.
  if (*p != '.') return std::nullopt;
  for (++p; p < e; ++p) {
    if (*p != '0') return std::nullopt;
  }
  return v;
}

bool integer_out_of_range(std::string_view s) {
  if (parse_int(s)) return false;
  size_t i = !s.empty() && (s[0] == '+' || s[0] == '-') ? 1 : 0;
  size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (digits == 0) return false;
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size(); ++i) {
      if (s[i] != '0') return false;
    }
  }
  return i == s.size();
}

std::optional<double> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;
  double v = 0;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || !std::isfinite(v)) return std::nullopt;
  return v;
}

namespace {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the entity body between '&' and ';'; false if it is not one we know.
bool decode_entity(std::string_view body, std::string& out) {
  if (body == "amp") return out += '&', true;
  if (body == "lt") return out += '<', true;
  if (body == "gt") return out += '>', true;
  if (body == "quot") return out += '"', true;
  if (body == "apos") return out += '\'', true;
  if (body.size() < 2 || body[0] != '#') return false;
  bool hex = body[1] == 'x' || body[1] == 'X';
  std::string_view digits = body.substr(hex ? 2 : 1);
  uint32_t cp = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
  if (ec != std::errc() || p != digits.data() + digits.size() || cp == 0 || cp > 0x10FFFF)
    return false;
  append_utf8(out, cp);
  return true;
}

}  // namespace

std::string decode_html_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t amp = s.find('&', i);
    if (amp == std::string_view::npos) break;
    out.append(s.substr(i, amp - i));
    size_t semi = s.find(';', amp + 1);
    constexpr size_t kLongestEntity = 10;
    if (semi != std::string_view::npos && semi - amp <= kLongestEntity &&
        decode_entity(s.substr(amp + 1, semi - amp - 1), out)) {
      i = semi + 1;
    } else {
      out += '&';
      i = amp + 1;
    }
  }
  out.append(s.substr(i));
  return out;
}

std::string shown_value(std::string_view s, size_t max_bytes) {
  std::string_view kept = s;
  if (s.size() > max_bytes) {
    size_t cut = max_bytes;
    // Back up over UTF-8 continuation bytes so no character is cut in half.
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    kept = s.substr(0, cut);
  }
  std::string out;
  out.reserve(kept.size() + 32);
  for (char c : kept) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\0') {
      out += "\\0";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7F) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  if (kept.size() < s.size()) out += fmt::format("... ({} bytes)", s.size());
  return out;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  if (is_unknown(s)) return out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t comma = s.find(',', i);
    if (comma == std::string_view::npos) comma = s.size();
    std::string_view item = trim(s.substr(i, comma - i));
    if (!is_unknown(item)) out.emplace_back(item);
    i = comma + 1;
  }
  return out;
}

}  // namespace animerec::data
