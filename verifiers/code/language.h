// The language registry: what the verifier needs to know to build and run a program in a
// language. Each language is one small file in languages/ that returns its LanguageDef, plus one
// line in language.cc's list.
#ifndef RLVR_VERIFIERS_CODE_LANGUAGE_H_
#define RLVR_VERIFIERS_CODE_LANGUAGE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/sandbox.h"

namespace rlvr::code {

struct LanguageDef {
  std::string name;                   // canonical name used in problems: "python", "cpp"
  std::vector<std::string> aliases;   // other accepted names and fence tags (lower case)
  std::string source_file;            // the program's file in /work: "main.py", "main.cpp"

  // Compiled languages: a /bin/sh command run in /work (source at source_file) that compiles it
  // and writes the single artifact to stdout, diagnostics to stderr. Empty: interpreted.
  std::string compile_command;
  std::string artifact_file;          // compiled: the artifact's file name in /work when it runs

  // How a run starts. With sandbox::Language::kPython, argv[0] is the script (warm starts);
  // with kExec, argv[0] is the program ("./main" or "/usr/bin/java").
  sandbox::Language sandbox_language = sandbox::Language::kExec;
  std::vector<std::string> run_argv;

  // Supports call and assert tests (their harness is Python, so only Python does).
  bool python_harness = false;

  // An optional precompiled header, built once per verifier inside the sandbox by `build_command`
  // (stdout = the PCH) and placed at `path` in /work for compiles whose source contains `trigger`.
  struct Pch {
    std::string trigger;
    std::string build_command;
    std::string path;
  };
  std::optional<Pch> pch;

  // Every name the language answers to (name + aliases).
  bool Matches(std::string_view lang) const;
  std::vector<std::string> FenceTags() const;
};

// The language named `name` (or an alias), nullptr if unknown. Case-insensitive.
const LanguageDef* FindLanguage(std::string_view name);

// Every language in languages/, in file-name order (the registry is generated: CMakeLists.txt).
const std::vector<const LanguageDef*>& Languages();

// "cpp, python": for error messages and docs.
std::string LanguageNames();

}  // namespace rlvr::code

#endif  // RLVR_VERIFIERS_CODE_LANGUAGE_H_
