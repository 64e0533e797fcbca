#include "verifiers/code/compare.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"

namespace rlvr::code {
namespace {

constexpr size_t kDetailChars = 80;

std::string Clip(std::string_view s) {
  if (s.size() <= kDetailChars) return std::string(s);
  return absl::StrCat(std::string(s.substr(0, kDetailChars)), "...");
}

std::vector<std::string_view> Tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t b = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > b) out.push_back(s.substr(b, i - b));
  }
  return out;
}

// A token that reads fully as a finite or infinite decimal number.
bool ParseNumber(std::string_view tok, double* out) {
  if (tok.empty() || tok.size() > 400) return false;
  std::string s(tok);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return false;
  // strtod also reads hex and "nan"; accept decimal forms only.
  for (char c : s) {
    if (c == 'x' || c == 'X' || c == 'n' || c == 'N') return false;
  }
  *out = v;
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::vector<std::string_view> Lines(std::string_view s) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
}

bool TokenEqual(std::string_view e, std::string_view g, const CompareOptions& o) {
  if (o.mode == CompareMode::kCaseInsensitive ? EqualsIgnoreCase(e, g) : e == g) return true;
  if (o.float_tolerance > 0) {
    double a, b;
    if (ParseNumber(e, &a) && ParseNumber(g, &b)) return NumbersClose(a, b, o.float_tolerance, o.float_mode);
  }
  return false;
}

std::string_view RStrip(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Short(const nlohmann::json& v) {
  return Clip(v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

bool ValuesEqual(const nlohmann::json& e, const nlohmann::json& g, const CompareOptions& o, int depth) {
  if (depth > 256) return false;
  if (e.is_number() && g.is_number()) {
    if (e.is_number_float() || g.is_number_float()) {
      const double a = e.get<double>(), b = g.get<double>();
      if (a == b) return true;
      return o.float_tolerance > 0 && NumbersClose(a, b, o.float_tolerance, o.float_mode);
    }
    if (e.is_number_unsigned() && g.is_number_unsigned()) return e.get<uint64_t>() == g.get<uint64_t>();
    if (e.is_number_integer() && g.is_number_integer() && !e.is_number_unsigned() && !g.is_number_unsigned()) {
      return e.get<int64_t>() == g.get<int64_t>();
    }
    // One signed, one unsigned: equal only if both are non-negative and the same.
    const nlohmann::json& s = e.is_number_unsigned() ? g : e;
    const nlohmann::json& u = e.is_number_unsigned() ? e : g;
    return s.get<int64_t>() >= 0 && static_cast<uint64_t>(s.get<int64_t>()) == u.get<uint64_t>();
  }
  if (e.type() != g.type()) return false;
  switch (e.type()) {
    case nlohmann::json::value_t::array: {
      if (e.size() != g.size()) return false;
      for (size_t i = 0; i < e.size(); ++i) {
        if (!ValuesEqual(e[i], g[i], o, depth + 1)) return false;
      }
      return true;
    }
    case nlohmann::json::value_t::object: {
      if (e.size() != g.size()) return false;
      for (auto it = e.begin(); it != e.end(); ++it) {
        auto jt = g.find(it.key());
        if (jt == g.end() || !ValuesEqual(it.value(), *jt, o, depth + 1)) return false;
      }
      return true;
    }
    default:
      return e == g;  // null, boolean, string
  }
}

}  // namespace

absl::StatusOr<CompareMode> ParseCompareMode(std::string_view name) {
  if (name.empty() || name == "tokens") return CompareMode::kTokens;
  if (name == "lines") return CompareMode::kLines;
  if (name == "exact") return CompareMode::kExact;
  if (name == "case_insensitive") return CompareMode::kCaseInsensitive;
  return absl::InvalidArgumentError(absl::StrCat("tests.compare is \"", std::string(name),
                                                 "\"; expected tokens, lines, exact or case_insensitive"));
}

absl::StatusOr<FloatMode> ParseFloatMode(std::string_view name) {
  if (name.empty() || name == "abs_or_rel") return FloatMode::kAbsOrRel;
  if (name == "abs") return FloatMode::kAbs;
  if (name == "rel") return FloatMode::kRel;
  return absl::InvalidArgumentError(
      absl::StrCat("tests.float_mode is \"", std::string(name), "\"; expected abs_or_rel, abs or rel"));
}

bool NumbersClose(double expected, double got, double tolerance, FloatMode mode) {
  if (std::isnan(expected) || std::isnan(got)) return false;
  if (expected == got) return true;  // also equal infinities
  if (std::isinf(expected) || std::isinf(got)) return false;
  const double diff = std::fabs(expected - got);
  const bool abs_ok = diff <= tolerance;
  const bool rel_ok = diff <= tolerance * std::fabs(expected);
  switch (mode) {
    case FloatMode::kAbs: return abs_ok;
    case FloatMode::kRel: return rel_ok;
    case FloatMode::kAbsOrRel: return abs_ok || rel_ok;
  }
  return false;
}

CompareResult CompareOutput(std::string_view expected, std::string_view got, const CompareOptions& options) {
  CompareResult r;
  switch (options.mode) {
    case CompareMode::kExact: {
      r.equal = expected == got;
      if (!r.equal) {
        size_t i = 0;
        while (i < expected.size() && i < got.size() && expected[i] == got[i]) ++i;
        r.detail = absl::StrCat("byte ", i, ": expected \"", Clip(expected.substr(i, 20)), "\", got \"",
                                Clip(got.substr(i, 20)), "\"");
      }
      return r;
    }
    case CompareMode::kLines: {
      std::vector<std::string_view> e = Lines(RStrip(expected));
      std::vector<std::string_view> g = Lines(RStrip(got));
      for (size_t i = 0; i < std::max(e.size(), g.size()); ++i) {
        std::string_view el = i < e.size() ? RStrip(e[i]) : std::string_view("<end>");
        std::string_view gl = i < g.size() ? RStrip(g[i]) : std::string_view("<end>");
        if (i >= e.size() || i >= g.size() || el != gl) {
          r.detail = absl::StrCat("line ", i + 1, ": expected \"", Clip(el), "\", got \"", Clip(gl), "\"");
          return r;
        }
      }
      r.equal = true;
      return r;
    }
    case CompareMode::kTokens:
    case CompareMode::kCaseInsensitive: {
      std::vector<std::string_view> e = Tokens(expected), g = Tokens(got);
      for (size_t i = 0; i < std::max(e.size(), g.size()); ++i) {
        if (i >= e.size() || i >= g.size() || !TokenEqual(e[i], g[i], options)) {
          r.detail = absl::StrCat("token ", i + 1, ": expected \"", i < e.size() ? Clip(e[i]) : "<end>",
                                  "\", got \"", i < g.size() ? Clip(g[i]) : "<end>", "\"");
          return r;
        }
      }
      r.equal = true;
      return r;
    }
  }
  return r;
}

CompareResult CompareValues(const nlohmann::json& expected, const nlohmann::json& got,
                            const CompareOptions& options) {
  CompareResult r;
  r.equal = ValuesEqual(expected, got, options, 0);
  if (!r.equal) r.detail = absl::StrCat("expected ", Short(expected), ", got ", Short(got));
  return r;
}

}  // namespace rlvr::code
