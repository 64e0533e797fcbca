// C++17 with g++ -O2, compiled once per source inside the sandbox; <bits/stdc++.h> comes from a
// precompiled header built once per verifier (found through -I/work, where the PCH is placed).
#include "verifiers/code/language.h"

namespace rlvr::code {

const LanguageDef& CppLanguage() {
  static const LanguageDef* def = [] {
    auto* d = new LanguageDef;
    d->name = "cpp";
    d->aliases = {"c++", "cxx", "cc", "c++17", "cpp17"};
    d->source_file = "main.cpp";
    d->compile_command =
        "g++ -std=c++17 -O2 -pipe -I/work -o /tmp/main main.cpp 1>&2 && cat /tmp/main";
    d->artifact_file = "main";
    d->sandbox_language = sandbox::Language::kExec;
    d->run_argv = {"./main"};
    d->pch = LanguageDef::Pch{
        "bits/stdc++.h",
        "printf '#include <bits/stdc++.h>\\n' > /tmp/pch.h && "
        "g++ -std=c++17 -O2 -pipe -x c++-header -o /tmp/pch.gch /tmp/pch.h 1>&2 && cat /tmp/pch.gch",
        "bits/stdc++.h.gch"};
    return d;
  }();
  return *def;
}

}  // namespace rlvr::code
