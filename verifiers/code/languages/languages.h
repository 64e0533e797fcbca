// One function per language, each defined in its own file beside this one.
#ifndef RLVR_VERIFIERS_CODE_LANGUAGES_LANGUAGES_H_
#define RLVR_VERIFIERS_CODE_LANGUAGES_LANGUAGES_H_

#include "verifiers/code/language.h"

namespace rlvr::code {

const LanguageDef& PythonLanguage();  // python.cc
const LanguageDef& CppLanguage();     // cpp.cc

}  // namespace rlvr::code

#endif  // RLVR_VERIFIERS_CODE_LANGUAGES_LANGUAGES_H_
