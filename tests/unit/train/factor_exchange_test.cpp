#include "animerec/train/factor_exchange.h"

#include <gtest/gtest.h>

#include "animerec/config/params.h"
#include "animerec/core/error.h"
#include "animerec/dist/comm.h"

namespace animerec::train {
namespace {

// --exchange accepts exactly the strategies there are: a strategy added
// without its parameter value (or the reverse) fails here.
TEST(FactorExchangeTest, ParameterValuesAreTheStrategies) {
  const config::ParamSpec* spec = nullptr;
  for (const config::ParamSpec* p : config::command_params("train")) {
    if (p->name == "exchange") spec = p;
  }
  ASSERT_NE(spec, nullptr);
  std::vector<std::string> names;
  for (const ExchangeStrategy& s : exchange_strategies()) names.push_back(s.name);
  EXPECT_EQ(spec->choices, names);
  EXPECT_EQ(spec->default_value, names.front());
}

TEST(FactorExchangeTest, UnknownStrategyNamesTheParameter) {
  dist::SerialComm comm;
  try {
    make_factor_exchange("ring", comm);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--exchange ring"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("allgather"), std::string::npos) << e.what();
  }
}

// One rank: the exchange leaves the rank's own rows as they are.
TEST(FactorExchangeTest, AllgatherOnOneRankKeepsTheRows) {
  dist::SerialComm comm;
  auto exchange = make_factor_exchange("allgather", comm);
  als::SideState side;
  side.factors = als::FactorMatrix::Random(5, 3);
  side.bias = {1, 2, 3, 4, 5};
  const als::SideState before = side;
  exchange->exchange(side, {0, 5}, dist::Block{0, 5});
  EXPECT_TRUE(side.factors == before.factors);
  EXPECT_EQ(side.bias, before.bias);
}

}  // namespace
}  // namespace animerec::train
