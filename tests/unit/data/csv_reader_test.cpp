#include "animerec/data/csv_reader.h"

#include <gtest/gtest.h>

#include "animerec/core/error.h"
#include "animerec/core/sha256.h"
#include "test_support.h"

namespace animerec::data {
namespace {

using testing::TempDir;
using testing::write_file;

std::vector<std::vector<std::string>> read_all(const std::string& path, CsvDialect d = {},
                                               std::vector<int64_t>* lines = nullptr) {
  CsvReader r(path, d);
  std::vector<std::vector<std::string>> out;
  while (r.next()) {
    out.emplace_back(r.fields().begin(), r.fields().end());
    if (lines) lines->push_back(r.line());
  }
  return out;
}

TEST(CsvReaderTest, PlainRowsLfAndCrlf) {
  TempDir dir;
  write_file(dir.file("a.csv"), "a,b,c\n1,2,3\r\n4,5,6");
  auto rows = read_all(dir.file("a.csv"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"4", "5", "6"}));
}

TEST(CsvReaderTest, BomIsSkipped) {
  TempDir dir;
  write_file(dir.file("a.csv"), "\xEF\xBB\xBFuser_id,anime_id\n1,2\n");
  auto rows = read_all(dir.file("a.csv"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], "user_id");
}

TEST(CsvReaderTest, QuotedCommasDoubledQuotesAndEmbeddedNewlines) {
  TempDir dir;
  write_file(dir.file("a.csv"),
             "id,name,text\r\n"
             "1,\"Action, Comedy\",\"He said \"\"hi\"\"\"\r\n"
             "2,\"two\nlines\r\nhere\",x\r\n"
             "3,,\"\"\r\n");
  std::vector<int64_t> lines;
  auto rows = read_all(dir.file("a.csv"), {}, &lines);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "Action, Comedy", "He said \"hi\""}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"2", "two\nlines\r\nhere", "x"}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"3", "", ""}));
  // Line numbers count the newlines inside quoted fields.
  EXPECT_EQ(lines, (std::vector<int64_t>{1, 2, 3, 6}));
}

TEST(CsvReaderTest, TrailingEmptyFieldAndBlankLines) {
  TempDir dir;
  write_file(dir.file("a.csv"), "a,b,\n\n\"x\",\n\n");
  auto rows = read_all(dir.file("a.csv"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b", ""}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"x", ""}));
}

TEST(CsvReaderTest, RecordsSpanningBlocksAndHugeFields) {
  TempDir dir;
  std::string big(9 << 20, 'x');  // larger than the 4 MiB block
  std::string text = "id,text\n";
  for (int i = 0; i < 200000; ++i)
    text += std::to_string(i) + ",\"v, " + std::to_string(i) + "\"\n";
  text += "big,\"" + big + "\"\n";
  write_file(dir.file("a.csv"), text);
  auto rows = read_all(dir.file("a.csv"));
  ASSERT_EQ(rows.size(), 200002u);
  EXPECT_EQ(rows[150001][1], "v, 150000");
  EXPECT_EQ(rows.back()[1].size(), big.size());
}

TEST(CsvReaderTest, UnterminatedQuoteNamesTheLineWhereTheRecordStarts) {
  TempDir dir;
  write_file(dir.file("bad.csv"), "a,b\n1,2\n3,\"open\n4,5\n");
  CsvReader r(dir.file("bad.csv"));
  ASSERT_TRUE(r.next());
  ASSERT_TRUE(r.next());
  try {
    r.next();
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              dir.file("bad.csv") + ":3: unterminated quoted field (the file ends inside quotes)");
  }
}

// Found by fuzz/sources_fuzzer: the failing record was not consumed, so a
// caller that skips bad rows called next() on it forever.
TEST(CsvReaderTest, UnterminatedQuoteAtEndOfFileIsConsumed) {
  TempDir dir;
  write_file(dir.file("bad.csv"), "a,b\n1,\"open\n2,3\n");
  CsvReader r(dir.file("bad.csv"));
  ASSERT_TRUE(r.next());
  EXPECT_THROW(r.next(), InputError);
  EXPECT_FALSE(r.next());
  EXPECT_EQ(r.bytes_consumed(), r.file_size());
}

TEST(CsvReaderTest, TextAfterClosingQuoteIsAnError) {
  TempDir dir;
  write_file(dir.file("bad.csv"), "a,b\n\"x\"y,2\n");
  CsvReader r(dir.file("bad.csv"));
  ASSERT_TRUE(r.next());
  try {
    r.next();
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_NE(std::string(e.what()).find("after a closing quote"), std::string::npos);
  }
}

TEST(CsvReaderTest, MovieLensDialects) {
  TempDir dir;
  write_file(dir.file("r.dat"), "1::1193::5::978300760\n1::661::3::978302109\n");
  auto dat = read_all(dir.file("r.dat"), CsvDialect::double_colon());
  ASSERT_EQ(dat.size(), 2u);
  EXPECT_EQ(dat[1], (std::vector<std::string>{"1", "661", "3", "978302109"}));
  write_file(dir.file("u.data"), "196\t242\t3\t881250949\n");
  EXPECT_EQ(read_all(dir.file("u.data"), CsvDialect::tab())[0][1], "242");
  write_file(dir.file("t.txt"), "1   2 \t 4.5\n");
  EXPECT_EQ(read_all(dir.file("t.txt"), CsvDialect::whitespace())[0],
            (std::vector<std::string>{"1", "2", "4.5"}));
}

TEST(CsvReaderTest, HashCoversTheWholeFile) {
  TempDir dir;
  write_file(dir.file("a.csv"),
             "\xEF\xBB\xBF"
             "a,b\n1,2\n");
  CsvReader r(dir.file("a.csv"));
  ASSERT_TRUE(r.next());  // stop early: the rest is still hashed
  EXPECT_EQ(r.sha256_hex(), sha256_file(dir.file("a.csv")));
}

TEST(CsvReaderTest, MissingFileIsAnIoError) {
  EXPECT_THROW(CsvReader("/nonexistent/ratings.csv"), IoError);
}

// /dev/zero used to be read forever (one endless record growing the buffer).
TEST(CsvReaderTest, DevicesArePlainlyRefused) {
  try {
    CsvReader r("/dev/zero");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/zero: it is a character device"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace animerec::data
