#include "verifiers/code/dataset_loaders.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace rlvr::code {
namespace {

namespace v1 = ::rlvr::v1;
using nlohmann::json;

absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), " ", std::string(what)));
}

absl::StatusOr<std::string> GetString(const json& row, const char* field) {
  auto it = row.find(field);
  if (it == row.end()) return Bad(field, "is missing");
  if (!it->is_string()) return Bad(field, "is not a string");
  return it->get<std::string>();
}

// A field that holds JSON either directly or as a JSON string (the HF datasets store strings).
absl::StatusOr<json> GetJsonish(const json& row, const char* field) {
  auto it = row.find(field);
  if (it == row.end()) return Bad(field, "is missing");
  if (!it->is_string()) return *it;
  json parsed = json::parse(it->get<std::string>(), nullptr, false);
  if (parsed.is_discarded()) {
    return Bad(field,
               "is a string that is not JSON (compressed LiveCodeBench rows: decompress them first with "
               "scripts/lcb_decompress.py)");
  }
  return parsed;
}

// A stdio text: a string, or a list of lines (APPS sometimes).
absl::StatusOr<std::string> Text(const json& v, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const json& line : v) {
      if (!line.is_string()) return Bad(where, "is a list with a non-string element");
      absl::StrAppend(&out, line.get<std::string>(), "\n");
    }
    return out;
  }
  return Bad(where, "is neither a string nor a list of lines");
}

v1::CodeProblem NewProblem(std::string_view language, const char* type) {
  v1::CodeProblem p;
  p.set_language(std::string(language));
  p.mutable_tests()->set_type(type);
  return p;
}

}  // namespace

DatasetFormat DetectDatasetFormat(const json& row) {
  if (!row.is_object()) return DatasetFormat::kUnknown;
  if (row.contains("input_output")) return DatasetFormat::kApps;
  if (row.contains("public_test_cases") || row.contains("private_test_cases")) return DatasetFormat::kLiveCodeBench;
  if (row.contains("public_tests") || row.contains("private_tests") || row.contains("generated_tests")) {
    return DatasetFormat::kCodeContests;
  }
  if (row.contains("test_list")) return DatasetFormat::kMbpp;
  if (row.contains("test") && row.contains("entry_point")) return DatasetFormat::kHumanEval;
  if (row.contains("test")) return DatasetFormat::kMbpp;
  return DatasetFormat::kUnknown;
}

absl::StatusOr<v1::CodeProblem> CodeProblemFromDatasetRow(const json& row, std::string_view language) {
  switch (DetectDatasetFormat(row)) {
    case DatasetFormat::kHumanEval: return FromHumanEval(row);
    case DatasetFormat::kMbpp: return FromMbpp(row);
    case DatasetFormat::kApps: return FromApps(row, language);
    case DatasetFormat::kLiveCodeBench: return FromLiveCodeBench(row, language);
    case DatasetFormat::kCodeContests: return FromCodeContests(row, language);
    case DatasetFormat::kUnknown: break;
  }
  return absl::InvalidArgumentError(
      "tests is missing and the row is no known dataset format (HumanEval test+entry_point, MBPP test_list, "
      "APPS input_output, LiveCodeBench public_test_cases, CodeContests public_tests)");
}

// What a HumanEval prompt defines before the entry point (imports, helpers such as HumanEval/32's
// `poly` that check() calls): "" when the entry point's `def` is not found.
std::string PromptPreamble(const json& row, const std::string& entry) {
  auto it = row.find("prompt");
  if (it == row.end() || !it->is_string()) return "";
  const std::string& prompt = it->get_ref<const std::string&>();
  const std::string def = "def " + entry + "(";
  for (size_t at = prompt.find(def); at != std::string::npos; at = prompt.find(def, at + 1)) {
    if (at == 0 || prompt[at - 1] == '\n') return prompt.substr(0, at);
  }
  return "";
}

absl::StatusOr<v1::CodeProblem> FromHumanEval(const json& row) {
  v1::CodeProblem p = NewProblem("python", "assert");
  ASSIGN_OR_RETURN(std::string test, GetString(row, "test"));
  ASSIGN_OR_RETURN(std::string entry, GetString(row, "entry_point"));
  // The prompt's own helpers go in front of the tests, so that check() uses the dataset's `poly`
  // rather than whatever a response defines under that name.
  if (std::string preamble = PromptPreamble(row, entry); !preamble.empty()) {
    test = absl::StrCat("# from the prompt\n", preamble, "\n", test);
  }
  p.mutable_tests()->set_code(std::move(test));
  p.mutable_tests()->set_entry_point(std::move(entry));
  return p;
}

absl::StatusOr<v1::CodeProblem> FromMbpp(const json& row) {
  v1::CodeProblem p = NewProblem("python", "assert");
  std::string code;
  if (auto it = row.find("test_setup_code"); it != row.end() && it->is_string()) {
    absl::StrAppend(&code, it->get<std::string>(), "\n");
  }
  if (auto it = row.find("test_imports"); it != row.end() && it->is_array()) {
    for (const json& imp : *it) {
      if (imp.is_string()) absl::StrAppend(&code, imp.get<std::string>(), "\n");
    }
  }
  if (auto it = row.find("test_list"); it != row.end()) {
    if (!it->is_array()) return Bad("test_list", "is not a list");
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) return Bad(absl::StrCat("test_list[", i, "]"), "is not a string");
      absl::StrAppend(&code, (*it)[i].get<std::string>(), "\n");
    }
  } else {
    ASSIGN_OR_RETURN(std::string test, GetString(row, "test"));
    absl::StrAppend(&code, test, "\n");
  }
  p.mutable_tests()->set_code(std::move(code));
  if (auto it = row.find("entry_point"); it != row.end() && it->is_string()) {
    p.mutable_tests()->set_entry_point(it->get<std::string>());
  }
  return p;
}

absl::StatusOr<v1::CodeProblem> FromApps(const json& row, std::string_view language) {
  ASSIGN_OR_RETURN(json io, GetJsonish(row, "input_output"));
  if (!io.is_object()) return Bad("input_output", "is not an object");
  auto inputs = io.find("inputs");
  auto outputs = io.find("outputs");
  if (inputs == io.end() || !inputs->is_array()) return Bad("input_output.inputs", "is not a list");
  if (outputs == io.end() || !outputs->is_array()) return Bad("input_output.outputs", "is not a list");
  if (inputs->size() != outputs->size()) {
    return Bad("input_output", absl::StrCat("has ", inputs->size(), " inputs and ", outputs->size(), " outputs"));
  }
  auto fn = io.find("fn_name");
  const bool call = fn != io.end() && fn->is_string() && !fn->get<std::string>().empty();
  v1::CodeProblem p = NewProblem(language, call ? "call" : "stdio");
  if (call) {
    p.mutable_tests()->set_fn_name(fn->get<std::string>());
    p.mutable_tests()->set_unwrap_expected_list(true);
  }
  for (size_t i = 0; i < inputs->size(); ++i) {
    v1::CodeTestCase* c = p.mutable_tests()->add_cases();
    const std::string where = absl::StrCat("input_output.inputs[", i, "]");
    if (call) {
      const json& args = (*inputs)[i];
      c->set_args_json(args.is_array() ? args.dump() : json::array({args}).dump());
      c->set_expected_json((*outputs)[i].dump());
    } else {
      ASSIGN_OR_RETURN(std::string in, Text((*inputs)[i], where));
      ASSIGN_OR_RETURN(std::string out, Text((*outputs)[i], absl::StrCat("input_output.outputs[", i, "]")));
      c->set_input(std::move(in));
      c->set_output(std::move(out));
    }
  }
  return p;
}

absl::StatusOr<v1::CodeProblem> FromLiveCodeBench(const json& row, std::string_view language) {
  std::string fn_name;
  if (row.contains("metadata")) {
    ASSIGN_OR_RETURN(json meta, GetJsonish(row, "metadata"));
    if (meta.is_object() && meta.contains("func_name") && meta["func_name"].is_string()) {
      fn_name = meta["func_name"].get<std::string>();
    }
  }
  v1::CodeProblem p = NewProblem(language, "stdio");
  bool any_call = false, any_stdio = false;
  for (const char* field : {"public_test_cases", "private_test_cases"}) {
    if (!row.contains(field)) continue;
    ASSIGN_OR_RETURN(json cases, GetJsonish(row, field));
    if (!cases.is_array()) return Bad(field, "is not a list");
    for (size_t i = 0; i < cases.size(); ++i) {
      const std::string where = absl::StrCat(field, "[", i, "]");
      const json& tc = cases[i];
      if (!tc.is_object() || !tc.contains("input") || !tc.contains("output") || !tc["input"].is_string() ||
          !tc["output"].is_string()) {
        return Bad(where, "needs string input and output");
      }
      const std::string type = tc.value("testtype", "stdin");
      v1::CodeTestCase* c = p.mutable_tests()->add_cases();
      if (type == "functional") {
        any_call = true;
        // One JSON value per line, one per argument.
        json args = json::array();
        const std::string in = tc["input"].get<std::string>();
        size_t pos = 0;
        while (pos <= in.size()) {
          size_t nl = in.find('\n', pos);
          std::string line = in.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
          if (line.find_first_not_of(" \t\r") != std::string::npos) {
            json arg = json::parse(line, nullptr, false);
            if (arg.is_discarded()) return Bad(where + ".input", absl::StrCat("has a line that is not JSON: ", line.substr(0, 64)));
            args.push_back(std::move(arg));
          }
          if (nl == std::string::npos) break;
          pos = nl + 1;
        }
        json expected = json::parse(tc["output"].get<std::string>(), nullptr, false);
        if (expected.is_discarded()) return Bad(where + ".output", "is not JSON");
        c->set_args_json(args.dump());
        c->set_expected_json(expected.dump());
      } else if (type == "stdin") {
        any_stdio = true;
        c->set_input(tc["input"].get<std::string>());
        c->set_output(tc["output"].get<std::string>());
      } else {
        return Bad(where + ".testtype", absl::StrCat("is \"", type, "\"; expected stdin or functional"));
      }
    }
  }
  if (any_call && any_stdio) return Bad("public_test_cases", "mixes stdin and functional tests");
  if (any_call) {
    if (fn_name.empty()) return Bad("metadata.func_name", "is missing for functional tests");
    p.mutable_tests()->set_type("call");
    p.mutable_tests()->set_fn_name(fn_name);
  }
  return p;
}

absl::StatusOr<v1::CodeProblem> FromCodeContests(const json& row, std::string_view language) {
  v1::CodeProblem p = NewProblem(language, "stdio");
  for (const char* field : {"public_tests", "private_tests", "generated_tests"}) {
    auto it = row.find(field);
    if (it == row.end() || it->is_null()) continue;
    if (!it->is_object()) return Bad(field, "is not an object");
    auto in = it->find("input");
    auto out = it->find("output");
    if (in == it->end() || !in->is_array() || out == it->end() || !out->is_array() || in->size() != out->size()) {
      return Bad(field, "needs input and output lists of the same length");
    }
    for (size_t i = 0; i < in->size(); ++i) {
      if (!(*in)[i].is_string() || !(*out)[i].is_string()) {
        return Bad(absl::StrCat(field, "[", i, "]"), "is not a string pair");
      }
      v1::CodeTestCase* c = p.mutable_tests()->add_cases();
      c->set_input((*in)[i].get<std::string>());
      c->set_output((*out)[i].get<std::string>());
    }
  }
  // time_limit {seconds, nanos} and memory_limit_bytes, when present and plausible (a limit outside
  // 1 ms .. 60 s or 16 MiB .. 4 GiB is left to the server's defaults).
  if (auto it = row.find("time_limit"); it != row.end() && it->is_object()) {
    auto part = [&](const char* key) -> int64_t {
      auto f = it->find(key);
      return f != it->end() && f->is_number_integer() ? f->get<int64_t>() : 0;
    };
    const int64_t ms = part("seconds") * 1000 + part("nanos") / 1000000;
    if (ms >= 1 && ms <= 60000) p.mutable_limits()->set_time_ms(static_cast<uint32_t>(ms));
  }
  if (auto it = row.find("memory_limit_bytes"); it != row.end() && it->is_number_integer()) {
    const int64_t mb = it->get<int64_t>() >> 20;
    if (mb >= 16 && mb <= 4096) p.mutable_limits()->set_memory_mb(static_cast<uint32_t>(mb));
  }
  return p;
}

}  // namespace rlvr::code
