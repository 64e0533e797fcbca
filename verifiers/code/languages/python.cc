// Python 3: interpreted, run warm from the sandbox's zygote; the only language with call and
// assert tests (their harness is Python).
#include "verifiers/code/language.h"

namespace rlvr::code {

const LanguageDef& PythonLanguage() {
  static const LanguageDef* def = [] {
    auto* d = new LanguageDef;
    d->name = "python";
    d->aliases = {"python3", "py", "py3"};
    d->source_file = "main.py";
    d->sandbox_language = sandbox::Language::kPython;
    d->run_argv = {"main.py"};
    d->python_harness = true;
    return d;
  }();
  return *def;
}

}  // namespace rlvr::code
