#include "verifiers/code/language.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_join.h"

namespace rlvr::code {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

bool LanguageDef::Matches(std::string_view lang) const {
  const std::string l = Lower(lang);
  return l == name || std::find(aliases.begin(), aliases.end(), l) != aliases.end();
}

std::vector<std::string> LanguageDef::FenceTags() const {
  std::vector<std::string> tags = aliases;
  tags.insert(tags.begin(), name);
  return tags;
}

const LanguageDef* FindLanguage(std::string_view name) {
  for (const LanguageDef* l : Languages()) {
    if (l->Matches(name)) return l;
  }
  return nullptr;
}

std::string LanguageNames() {
  std::vector<std::string> names;
  for (const LanguageDef* l : Languages()) names.push_back(l->name);
  return absl::StrJoin(names, ", ");
}

}  // namespace rlvr::code
