// CodeProblemFromJson: the `rlvr verify` JSONL shape of a code line.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "verifiers/code/code_verifier.h"
#include "verifiers/code/dataset_loaders.h"

namespace rlvr::code {
namespace {

using nlohmann::json;

absl::Status Bad(const std::string& field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", std::string(what)));
}

absl::StatusOr<std::string> OptString(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Bad(absl::StrCat(where, key), "is not a string");
  return it->get<std::string>();
}

absl::StatusOr<uint32_t> OptUint(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return 0u;
  if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > (int64_t{1} << 31)) {
    return Bad(absl::StrCat(where, key), absl::StrCat("is ", it->dump(), "; expected a non-negative integer"));
  }
  return static_cast<uint32_t>(it->get<int64_t>());
}

absl::StatusOr<bool> OptBool(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return false;
  if (!it->is_boolean()) return Bad(absl::StrCat(where, key), "is not a boolean");
  return it->get<bool>();
}

absl::Status ReadLimits(const json& obj, const std::string& where, v1::RunLimits* out) {
  if (!obj.is_object()) return Bad(where, "is not an object");
  ASSIGN_OR_RETURN(uint32_t t, OptUint(obj, "time_ms", where + "."));
  ASSIGN_OR_RETURN(uint32_t m, OptUint(obj, "memory_mb", where + "."));
  out->set_time_ms(t);
  out->set_memory_mb(m);
  return absl::OkStatus();
}

// A JSON-valued case field given either as a value ("args": [1, 2]) or as JSON text
// ("args_json": "[1, 2]").
absl::StatusOr<std::string> JsonField(const json& c, const char* value_key, const char* text_key,
                                      const std::string& where) {
  if (auto it = c.find(value_key); it != c.end()) return it->dump();
  if (auto it = c.find(text_key); it != c.end()) {
    if (!it->is_string()) return Bad(where + text_key, "is not a string of JSON");
    return it->get<std::string>();
  }
  return Bad(where + value_key, "is missing");
}

}  // namespace

absl::StatusOr<v1::CodeProblem> CodeProblemFromJson(const json& line) {
  if (!line.is_object()) return absl::InvalidArgumentError("the line is not a JSON object");
  ASSIGN_OR_RETURN(std::string language, OptString(line, "language", ""));
  if (language.empty()) language = "python";
  auto tests_it = line.find("tests");
  v1::CodeProblem p;
  if (tests_it == line.end()) {
    ASSIGN_OR_RETURN(p, CodeProblemFromDatasetRow(line, language));
  } else {
    const json& tests = *tests_it;
    if (!tests.is_object()) return Bad("tests", "is not an object");
    v1::CodeTests* t = p.mutable_tests();
    auto type_it = tests.find("type");
    if (type_it == tests.end()) return Bad("tests.type", "is missing");
    if (!type_it->is_string()) return Bad("tests.type", "is not a string");
    t->set_type(type_it->get<std::string>());
    ASSIGN_OR_RETURN(std::string fn, OptString(tests, "fn_name", "tests."));
    ASSIGN_OR_RETURN(std::string code, OptString(tests, "code", "tests."));
    ASSIGN_OR_RETURN(std::string entry, OptString(tests, "entry_point", "tests."));
    ASSIGN_OR_RETURN(std::string compare, OptString(tests, "compare", "tests."));
    ASSIGN_OR_RETURN(std::string float_mode, OptString(tests, "float_mode", "tests."));
    ASSIGN_OR_RETURN(bool early_stop, OptBool(tests, "early_stop", "tests."));
    ASSIGN_OR_RETURN(bool unwrap, OptBool(tests, "unwrap_expected_list", "tests."));
    t->set_fn_name(fn);
    t->set_code(code);
    t->set_entry_point(entry);
    t->set_compare(compare);
    t->set_float_mode(float_mode);
    t->set_early_stop(early_stop);
    t->set_unwrap_expected_list(unwrap);
    if (auto it = tests.find("float_tolerance"); it != tests.end() && !it->is_null()) {
      if (!it->is_number()) return Bad("tests.float_tolerance", "is not a number");
      t->set_float_tolerance(it->get<double>());
    }
    if (auto it = tests.find("cases"); it != tests.end() && !it->is_null()) {
      if (!it->is_array()) return Bad("tests.cases", "is not a list");
      for (size_t i = 0; i < it->size(); ++i) {
        const json& c = (*it)[i];
        const std::string where = absl::StrCat("tests.cases[", i, "].");
        if (!c.is_object()) return Bad(absl::StrCat("tests.cases[", i, "]"), "is not an object");
        v1::CodeTestCase* tc = t->add_cases();
        if (t->type() == "call") {
          ASSIGN_OR_RETURN(std::string args, JsonField(c, "args", "args_json", where));
          ASSIGN_OR_RETURN(std::string expected, JsonField(c, "expected", "expected_json", where));
          if (auto a = c.find("args"); a != c.end() && !a->is_array()) {
            return Bad(where + "args", absl::StrCat("is not a JSON array: ", a->dump().substr(0, 64)));
          }
          tc->set_args_json(std::move(args));
          tc->set_expected_json(std::move(expected));
        } else {
          ASSIGN_OR_RETURN(std::string in, OptString(c, "input", where));
          ASSIGN_OR_RETURN(std::string out, OptString(c, "output", where));
          tc->set_input(std::move(in));
          tc->set_output(std::move(out));
        }
        if (auto l = c.find("limits"); l != c.end()) {
          RETURN_IF_ERROR(ReadLimits(*l, where + "limits", tc->mutable_limits()));
        }
      }
    }
  }
  p.set_language(language);
  if (auto it = line.find("limits"); it != line.end() && !it->is_null()) {
    v1::RunLimits limits;
    RETURN_IF_ERROR(ReadLimits(*it, "limits", &limits));
    if (limits.time_ms() != 0) p.mutable_limits()->set_time_ms(limits.time_ms());
    if (limits.memory_mb() != 0) p.mutable_limits()->set_memory_mb(limits.memory_mb());
  }
  return p;
}

}  // namespace rlvr::code
