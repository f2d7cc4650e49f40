#pragma once
// train's (and cv's) options from their parameters: the one path the command
// line takes from config::Params to TrainOptions. The defaults of the option
// structs are the parameter table's (config::default_*), so an option built
// in code and one built from an empty command line train the same model.

#include <string>

#include "animerec/config/params.h"
#include "animerec/content/content.h"
#include "animerec/train/trainer.h"

namespace animerec::train {

// The implicit weights of --weight-*.
ImplicitWeights implicit_weights(const config::Params& p);

// The content options of --content-* (checked: content::check_options).
content::ContentOptions content_options(const config::Params& p);

// train's options from train's (or cv's) parameters; cv has no output files,
// so those stay empty. Throws ConfigError for --checkpoint-every without
// --checkpoint-dir and for a --checkpoint-dir that is not a directory.
TrainOptions train_options(const config::Params& p, const std::string& command_line);

}  // namespace animerec::train
