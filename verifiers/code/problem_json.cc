// CodeProblemFromJson: the `rlvr verify` JSONL shape of a code line. Strict inside the objects it
// owns ("tests", its cases, "limits", "checker", "extract"): an unknown key, a key the test type
// does not use, or a missing expected value is an error naming it, since a typo ("expected_output")
// must not silently turn into an empty expectation that an empty program passes.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "verifiers/code/code_verifier.h"
#include "verifiers/code/dataset_loaders.h"

namespace rlvr::code {
namespace {

using nlohmann::json;
using Keys = std::vector<std::string>;

absl::Status Bad(const std::string& field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", std::string(what)));
}

std::string Shown(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 64) text = text.substr(0, 61) + "...";
  return text;
}

bool Contains(const Keys& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Every key of `obj` must be in `used`; a key in `known` but not in `used` is named as not used by
// `type`, anything else as unknown. `where` names the object ("tests.cases[2]").
absl::Status CheckKeys(const json& obj, const std::string& where, const Keys& used, const Keys& known = {},
                       const std::string& type = "") {
  for (const auto& [key, value] : obj.items()) {
    if (Contains(used, key)) continue;
    if (Contains(known, key)) {
      return Bad(absl::StrCat(where, ":"), absl::StrCat("key \"", key, "\" is not used by type ", type));
    }
    return Bad(absl::StrCat(where, ":"),
               absl::StrCat("unknown key \"", key, "\" (known: ", absl::StrJoin(used, ", "), ")"));
  }
  return absl::OkStatus();
}

// The value at `key` when present and not null.
const json* Find(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

absl::StatusOr<std::string> OptString(const json& obj, const char* key, const std::string& where) {
  const json* v = Find(obj, key);
  if (v == nullptr) return std::string();
  if (!v->is_string()) return Bad(absl::StrCat(where, key), absl::StrCat("is ", Shown(*v), "; expected a string"));
  return v->get<std::string>();
}

absl::StatusOr<std::string> RequiredString(const json& obj, const char* key, const std::string& where) {
  if (Find(obj, key) == nullptr) return Bad(absl::StrCat(where, key), "is missing");
  return OptString(obj, key, where);
}

absl::StatusOr<bool> OptBool(const json& obj, const char* key, const std::string& where) {
  const json* v = Find(obj, key);
  if (v == nullptr) return false;
  if (!v->is_boolean()) return Bad(absl::StrCat(where, key), absl::StrCat("is ", Shown(*v), "; expected a boolean"));
  return v->get<bool>();
}

// A limit: a positive integer at least `min` (0 would mean "server default" in the proto; in JSON
// that is spelled by leaving the key out).
absl::StatusOr<uint32_t> OptLimit(const json& obj, const char* key, const std::string& where, int64_t min) {
  const json* v = Find(obj, key);
  if (v == nullptr) return 0u;
  if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > (int64_t{1} << 31)) {
    return Bad(absl::StrCat(where, key),
               absl::StrCat("is ", Shown(*v), "; expected an integer >= ", min, " (omit it for the server default)"));
  }
  return static_cast<uint32_t>(v->get<int64_t>());
}

absl::Status ReadLimits(const json& obj, const std::string& where, v1::RunLimits* out) {
  if (!obj.is_object()) return Bad(where, absl::StrCat("is ", Shown(obj), "; expected an object"));
  RETURN_IF_ERROR(CheckKeys(obj, where, {"time_ms", "memory_mb"}));
  ASSIGN_OR_RETURN(uint32_t t, OptLimit(obj, "time_ms", where + ".", 1));
  ASSIGN_OR_RETURN(uint32_t m, OptLimit(obj, "memory_mb", where + ".", kMinMemoryMb));
  out->set_time_ms(t);
  out->set_memory_mb(m);
  return absl::OkStatus();
}

// A JSON-valued case field given either as a value ("args": [1, 2]) or as JSON text
// ("args_json": "[1, 2]"), not both.
absl::StatusOr<std::string> JsonField(const json& c, const char* value_key, const char* text_key,
                                      const std::string& where) {
  auto value = c.find(value_key);
  auto text = c.find(text_key);
  if (value != c.end() && text != c.end()) {
    return Bad(where + value_key, absl::StrCat("and ", text_key, " are both given; use one"));
  }
  if (value != c.end()) return value->dump();
  if (text != c.end()) {
    if (!text->is_string()) return Bad(where + text_key, "is not a string of JSON");
    return text->get<std::string>();
  }
  return Bad(where + value_key, "is missing");
}

absl::Status ReadCase(const json& c, const std::string& where, bool call, v1::CodeTestCase* tc) {
  if (!c.is_object()) return Bad(where, absl::StrCat("is ", Shown(c), "; expected an object"));
  static const Keys kStdio = {"input", "output", "limits"};
  static const Keys kCall = {"args", "args_json", "expected", "expected_json", "limits"};
  static const Keys kAll = {"input", "output", "args", "args_json", "expected", "expected_json", "limits"};
  RETURN_IF_ERROR(CheckKeys(c, where, call ? kCall : kStdio, kAll, call ? "call" : "stdio"));
  const std::string prefix = where + ".";
  if (call) {
    ASSIGN_OR_RETURN(std::string args, JsonField(c, "args", "args_json", prefix));
    ASSIGN_OR_RETURN(std::string expected, JsonField(c, "expected", "expected_json", prefix));
    if (auto a = c.find("args"); a != c.end() && !a->is_array()) {
      return Bad(prefix + "args", absl::StrCat("is not a JSON array: ", Shown(*a)));
    }
    tc->set_args_json(std::move(args));
    tc->set_expected_json(std::move(expected));
  } else {
    ASSIGN_OR_RETURN(std::string in, OptString(c, "input", prefix));
    ASSIGN_OR_RETURN(std::string out, RequiredString(c, "output", prefix));
    tc->set_input(std::move(in));
    tc->set_output(std::move(out));
  }
  if (const json* l = Find(c, "limits")) RETURN_IF_ERROR(ReadLimits(*l, prefix + "limits", tc->mutable_limits()));
  return absl::OkStatus();
}

absl::Status ReadChecker(const json& obj, v1::CodeChecker* out) {
  if (!obj.is_object()) return Bad("tests.checker", absl::StrCat("is ", Shown(obj), "; expected an object"));
  RETURN_IF_ERROR(CheckKeys(obj, "tests.checker", {"language", "source"}));
  ASSIGN_OR_RETURN(std::string language, RequiredString(obj, "language", "tests.checker."));
  ASSIGN_OR_RETURN(std::string source, RequiredString(obj, "source", "tests.checker."));
  out->set_language(std::move(language));
  out->set_source(std::move(source));
  return absl::OkStatus();
}

absl::Status ReadTests(const json& tests, v1::CodeTests* t) {
  if (!tests.is_object()) return Bad("tests", absl::StrCat("is ", Shown(tests), "; expected an object"));
  ASSIGN_OR_RETURN(std::string type, RequiredString(tests, "type", "tests."));
  const bool stdio = type == "stdio", call = type == "call";
  if (!stdio && !call && type != "assert") {
    return Bad("tests.type", absl::StrCat("is \"", type, "\"; expected stdio, call or assert"));
  }
  static const Keys kAll = {"type", "scoring", "early_stop", "cases", "compare", "float_tolerance",
                                "float_mode", "checker", "fn_name", "unwrap_expected_list", "code", "entry_point"};
  static const Keys kStdio = {"type", "scoring", "early_stop", "cases", "compare", "float_tolerance",
                                  "float_mode", "checker"};
  static const Keys kCall = {"type", "scoring", "early_stop", "cases", "float_tolerance", "float_mode",
                                 "fn_name", "unwrap_expected_list"};
  static const Keys kAssert = {"type", "scoring", "early_stop", "code", "entry_point"};
  RETURN_IF_ERROR(CheckKeys(tests, "tests", stdio ? kStdio : call ? kCall : kAssert, kAll, type));
  t->set_type(type);
  ASSIGN_OR_RETURN(std::string scoring, OptString(tests, "scoring", "tests."));
  if (!scoring.empty() && scoring != "fraction" && scoring != "all_passed") {
    return Bad("tests.scoring", absl::StrCat("is \"", scoring, "\"; expected fraction or all_passed"));
  }
  ASSIGN_OR_RETURN(std::string fn, OptString(tests, "fn_name", "tests."));
  ASSIGN_OR_RETURN(std::string code, OptString(tests, "code", "tests."));
  ASSIGN_OR_RETURN(std::string entry, OptString(tests, "entry_point", "tests."));
  ASSIGN_OR_RETURN(std::string compare, OptString(tests, "compare", "tests."));
  ASSIGN_OR_RETURN(std::string float_mode, OptString(tests, "float_mode", "tests."));
  ASSIGN_OR_RETURN(bool early_stop, OptBool(tests, "early_stop", "tests."));
  ASSIGN_OR_RETURN(bool unwrap, OptBool(tests, "unwrap_expected_list", "tests."));
  t->set_scoring(scoring);
  t->set_fn_name(fn);
  t->set_code(code);
  t->set_entry_point(entry);
  t->set_compare(compare);
  t->set_float_mode(float_mode);
  t->set_early_stop(early_stop);
  t->set_unwrap_expected_list(unwrap);
  if (const json* v = Find(tests, "float_tolerance")) {
    if (!v->is_number()) return Bad("tests.float_tolerance", absl::StrCat("is ", Shown(*v), "; expected a number"));
    t->set_float_tolerance(v->get<double>());
  }
  if (const json* v = Find(tests, "checker")) RETURN_IF_ERROR(ReadChecker(*v, t->mutable_checker()));
  if (const json* cases = Find(tests, "cases")) {
    if (!cases->is_array()) return Bad("tests.cases", absl::StrCat("is ", Shown(*cases), "; expected a list"));
    for (size_t i = 0; i < cases->size(); ++i) {
      RETURN_IF_ERROR(ReadCase((*cases)[i], absl::StrCat("tests.cases[", i, "]"), call, t->add_cases()));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadExtract(const json& obj, v1::CodeExtract* out) {
  if (!obj.is_object()) return Bad("extract", absl::StrCat("is ", Shown(obj), "; expected an object"));
  RETURN_IF_ERROR(CheckKeys(obj, "extract", {"block", "untagged_fallback", "whole_response", "accept_unclosed"}));
  ASSIGN_OR_RETURN(std::string block, OptString(obj, "block", "extract."));
  if (!block.empty() && block != "last" && block != "first") {
    return Bad("extract.block", absl::StrCat("is \"", block, "\"; expected last or first"));
  }
  out->set_block(block);
  if (Find(obj, "untagged_fallback") != nullptr) {
    ASSIGN_OR_RETURN(bool v, OptBool(obj, "untagged_fallback", "extract."));
    out->set_untagged_fallback(v);
  }
  if (Find(obj, "whole_response") != nullptr) {
    ASSIGN_OR_RETURN(bool v, OptBool(obj, "whole_response", "extract."));
    out->set_whole_response(v);
  }
  if (Find(obj, "accept_unclosed") != nullptr) {
    ASSIGN_OR_RETURN(bool v, OptBool(obj, "accept_unclosed", "extract."));
    out->set_accept_unclosed(v);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::CodeProblem> CodeProblemFromJson(const json& line) {
  if (!line.is_object()) return absl::InvalidArgumentError("the line is not a JSON object");
  std::string language = kDefaultCodeLanguage;
  if (Find(line, "language") != nullptr) {
    ASSIGN_OR_RETURN(language, OptString(line, "language", ""));
    if (language.empty()) return Bad("language", "is empty; omit it for python");
  }
  v1::CodeProblem p;
  if (const json* tests = Find(line, "tests")) {
    RETURN_IF_ERROR(ReadTests(*tests, p.mutable_tests()));
  } else if (line.contains("tests")) {
    return Bad("tests", "is null; expected an object");
  } else {
    ASSIGN_OR_RETURN(p, CodeProblemFromDatasetRow(line, language));
  }
  p.set_language(language);
  if (const json* limits = Find(line, "limits")) RETURN_IF_ERROR(ReadLimits(*limits, "limits", p.mutable_limits()));
  if (const json* extract = Find(line, "extract")) RETURN_IF_ERROR(ReadExtract(*extract, p.mutable_extract()));
  return p;
}

}  // namespace rlvr::code
