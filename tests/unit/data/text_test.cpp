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

TEST(TextTest, IntegerOutOfRangeIsToldApartFromNonNumeric) {
  EXPECT_TRUE(integer_out_of_range("99999999999999999999"));
  EXPECT_TRUE(integer_out_of_range("-99999999999999999999"));
  EXPECT_TRUE(integer_out_of_range("9223372036854775808.0"));
  EXPECT_FALSE(integer_out_of_range("9223372036854775807"));
  EXPECT_FALSE(integer_out_of_range("12x"));
  EXPECT_FALSE(integer_out_of_range("1e30"));
  EXPECT_FALSE(integer_out_of_range(""));
  EXPECT_FALSE(integer_out_of_range("-"));
}

TEST(TextTest, ShownValueMakesControlBytesVisibleAndCapsLength) {
  EXPECT_EQ(shown_value("plain"), "plain");
  EXPECT_EQ(shown_value(std::string_view("1\0"
                                         "2\t3\x1b",
                                         6)),
            "1\\02\\t3\\x1b");
  EXPECT_EQ(shown_value(std::string(1000, 'x'), 10), "xxxxxxxxxx... (1000 bytes)");
  // A cut never splits a UTF-8 character: "é" is 2 bytes.
  EXPECT_EQ(shown_value("aé-long", 2), "a... (8 bytes)");
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
