// Dataset rows as they come, each mapped to one CodeProblem:
//   HumanEval (`test` defining check(candidate), `entry_point`)      -> assert
//   MBPP (`test_list` of asserts, `test_setup_code`; or `test`)       -> assert
//   APPS / TACO (`input_output`: {"inputs", "outputs", "fn_name"?})   -> stdio, or call with fn_name
//   LiveCodeBench (`public_test_cases` / `private_test_cases` with `testtype` stdin or
//                  functional; `metadata.func_name`)                  -> stdio or call
//   CodeContests (`public_tests` / `private_tests` / `generated_tests`: {"input": [], "output": []})
//                                                                      -> stdio
// Errors are INVALID_ARGUMENT naming the field.
#ifndef RLVR_VERIFIERS_CODE_DATASET_LOADERS_H_
#define RLVR_VERIFIERS_CODE_DATASET_LOADERS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "rlvr/v1/common.pb.h"

namespace rlvr::code {

enum class DatasetFormat { kUnknown, kHumanEval, kMbpp, kApps, kLiveCodeBench, kCodeContests };

// Which format a row is in, from the fields it has.
DatasetFormat DetectDatasetFormat(const nlohmann::json& row);

// The problem of `row` in any of the formats above; `language` is the program's language
// (the datasets do not say). INVALID_ARGUMENT when no format matches.
absl::StatusOr<rlvr::v1::CodeProblem> CodeProblemFromDatasetRow(const nlohmann::json& row, std::string_view language);

absl::StatusOr<rlvr::v1::CodeProblem> FromHumanEval(const nlohmann::json& row);
absl::StatusOr<rlvr::v1::CodeProblem> FromMbpp(const nlohmann::json& row);
absl::StatusOr<rlvr::v1::CodeProblem> FromApps(const nlohmann::json& row, std::string_view language);
absl::StatusOr<rlvr::v1::CodeProblem> FromLiveCodeBench(const nlohmann::json& row, std::string_view language);
absl::StatusOr<rlvr::v1::CodeProblem> FromCodeContests(const nlohmann::json& row, std::string_view language);

}  // namespace rlvr::code

#endif  // RLVR_VERIFIERS_CODE_DATASET_LOADERS_H_
