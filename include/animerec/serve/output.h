#pragma once
// Printing a recommendation list: an aligned table for people, JSON and CSV
// for scripts (docs/recommend.md).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "animerec/data/dataset.h"
#include "animerec/model/model.h"
#include "animerec/serve/new_anime.h"
#include "animerec/serve/recommend.h"

namespace animerec::serve {

// What was asked, a JSON object in display order, e.g. {"user": 42, "mode":
// "model"}: the "query" of the JSON output and the heading of the table.
using Query = nlohmann::ordered_json;

// The list as text. `meta` (may be null: no dataset given) adds the type,
// year and genres columns; `why` (may be null: no --explain; else one per
// item) the columns because (title of the rated anime with the largest share
// of the score) and shared_features, or in JSON an "explain" object per item.
// format: table | json | csv; throws std::invalid_argument for another.
std::string format_list(const Query& query, const std::vector<Scored>& items, const model::Model& m,
                        const data::AnimeMeta* meta, const std::string& format,
                        const std::vector<Explanation>* why = nullptr);

// The users listed for one anime (recommend --new-anime --top-users).
struct UserList {
  Query query = Query::object();  // {"new_anime": id, "title": ...}
  int64_t anime_id = 0;
  std::vector<ScoredUser> users;
};

// The lists as text: table = one block per anime (rank, user_id, score);
// csv = anime_id,rank,user_id,score over every list; json = {"new_anime":
// [{"query", "users": [{rank, user_id, score}]}]}. Throws
// std::invalid_argument for another format.
std::string format_users(const std::vector<UserList>& lists, const model::Model& m,
                         const std::string& format);

// One CSV field, quoted (with doubled quotes) when it holds a comma, quote or newline.
std::string csv_field(const std::string& s);

}  // namespace animerec::serve
