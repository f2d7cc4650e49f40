#include "animerec/data/text.h"

#include <gtest/gtest.h>

namespace animerec::data {
namespace {

TEST(TextTest, IntegersIncludingFloatWritten) {
  EXPECT_EQ(parse_int("26"), 26);
  EXPECT_EQ(parse_int("26.0"), 26);
  EXPECT_EQ(parse_int("-1"), -1);
  EXPECT_EQ(parse_int("+7"), 7);
  EXPECT_FALSE(parse_int("26.5"));
  EXPECT_FALSE(parse_int("abc"));
  EXPECT_FALSE(parse_int("12x"));
  EXPECT_FALSE(parse_int(""));
  EXPECT_FALSE(parse_int("99999999999999999999"));
}

TEST(TextTest, Numbers) {
  EXPECT_DOUBLE_EQ(*parse_number("9.37"), 9.37);
  EXPECT_DOUBLE_EQ(*parse_number("4.5"), 4.5);
  EXPECT_FALSE(parse_number("nan"));
  EXPECT_FALSE(parse_number("inf"));
  EXPECT_FALSE(parse_number("1.2.3"));
}

TEST(TextTest, UnknownMarkers) {
  EXPECT_TRUE(is_unknown("Unknown"));
  EXPECT_TRUE(is_unknown("UNKNOWN"));
  EXPECT_TRUE(is_unknown(""));
  EXPECT_TRUE(is_unknown("  "));
  EXPECT_TRUE(is_unknown("add some"));
  EXPECT_FALSE(is_unknown("0"));
}

TEST(TextTest, HtmlEntities) {
  EXPECT_EQ(decode_html_entities("Gintama&#039;"), "Gintama'");
  EXPECT_EQ(decode_html_entities("&quot;Bungaku Shoujo&quot; Movie"), "\"Bungaku Shoujo\" Movie");
  EXPECT_EQ(decode_html_entities("Tom &amp; Jerry &lt;3"), "Tom & Jerry <3");
  EXPECT_EQ(decode_html_entities("&#x2665;"), "\xE2\x99\xA5");
  EXPECT_EQ(decode_html_entities("R&D & more &bogus;"), "R&D & more &bogus;");
}

TEST(TextTest, Lists) {
  EXPECT_EQ(split_list("Action, Adventure, Drama"),
            (std::vector<std::string>{"Action", "Adventure", "Drama"}));
  EXPECT_TRUE(split_list("UNKNOWN").empty());
  EXPECT_TRUE(split_list("").empty());
}

}  // namespace
}  // namespace animerec::data
