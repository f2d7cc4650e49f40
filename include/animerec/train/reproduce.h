#pragma once
// `animerec reproduce` (docs/reproducibility.md): train again from the run
// manifest stored in a model and check that the new model is bit-identical.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "animerec/model/model.h"

namespace animerec::train {

// Parameters whose value may differ between a run and its reproduction
// without changing the model: where files are, what is printed, how many
// threads run. They are neither taken from the manifest nor compared.
const std::vector<std::string>& run_local_params();

// Throws IoError naming `model_path` unless `manifest` is a train manifest
// with a config object and a dataset object holding path and sha256 texts.
void check_train_manifest(const nlohmann::json& manifest, const std::string& model_path);

// The `train` arguments ("--name=value", or "--name" for a true flag) that
// repeat the run of `manifest` on `dataset_path`, writing `out_path`
// (check_train_manifest first).
std::vector<std::string> reproduce_arguments(const nlohmann::json& manifest,
                                             const std::string& model_path,
                                             const std::string& dataset_path,
                                             const std::string& out_path);

// Every difference between two models, one line each ("FIELD: what differs",
// with the first differing index), in file order; empty when the models are
// bit-identical. Compared: every array, the attributes that shape the model
// (feedback, factors, global_mean, score range, best_iteration, seed,
// dataset_sha256), the configuration but run_local_params(), and the history
// without its timings. Not compared: ranks, threads, created, program
// version and commit, the manifest.
std::vector<std::string> model_differences(const model::Model& a, const model::Model& b);

}  // namespace animerec::train
