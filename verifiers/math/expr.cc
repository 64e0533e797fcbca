#include "verifiers/math/expr.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"

namespace rlvr::math {

int32_t Tree::Add(NodeKind kind, std::string_view text, Kids kids, uint8_t flags) {
  Node& n = nodes_.emplace_back();
  n.kind = kind;
  n.flags = flags;
  n.text.assign(text.data(), text.size());
  n.kids = std::move(kids);
  return static_cast<int32_t>(nodes_.size() - 1);
}

namespace {

const char* RelText(char op) {
  switch (op) {
    case kRelEq: return "=";
    case kRelLt: return "<";
    case kRelLe: return "<=";
    case kRelGt: return ">";
    case kRelGe: return ">=";
    case kRelNe: return "!=";
    case kRelApprox: return "~=";
    case kRelIn: return " in ";
  }
  return "?";
}

class Printer {
 public:
  Printer(const Tree& tree, bool canonical, bool rename)
      : tree_(tree), canonical_(canonical), rename_(rename) {}

  std::string Print(int32_t i) {
    std::string out;
    Append(i, &out);
    return out;
  }

 private:
  // Appends the text of subtree `i` to *out.
  void Append(int32_t i, std::string* out) {
    const Node& n = tree_.at(i);
    switch (n.kind) {
      case NodeKind::kNumber:
      case NodeKind::kConstant:
        *out += n.text;
        return;
      case NodeKind::kSymbol:
        if (rename_) {
          auto it = names_.find(n.text);
          if (it == names_.end()) {
            it = names_.emplace(n.text, absl::StrCat("v", names_.size())).first;
          }
          *out += it->second;
          return;
        }
        *out += n.text;
        return;
      case NodeKind::kText:
        absl::StrAppend(out, "\"", n.text, "\"");
        return;
      case NodeKind::kNeg:
        *out += "-(";
        Append(n.kids[0], out);
        *out += ')';
        return;
      case NodeKind::kAdd:
        Joined(n, "+", canonical_, "(", ")", out);
        return;
      case NodeKind::kMul:
        Joined(n, "*", canonical_, "(", ")", out);
        return;
      case NodeKind::kSub:
        Binary(n, "-", out);
        return;
      case NodeKind::kDiv:
        Binary(n, "/", out);
        return;
      case NodeKind::kRatio:
        Binary(n, ":", out);
        return;
      case NodeKind::kPow:
        Binary(n, "^", out);
        return;
      case NodeKind::kPlusMinus:
        if (n.kids.size() == 1) {
          *out += "(+-";
          Append(n.kids[0], out);
          *out += ')';
          return;
        }
        Binary(n, "+-", out);
        return;
      case NodeKind::kPercent:
        Append(n.kids[0], out);
        *out += '%';
        return;
      case NodeKind::kFactorial:
        *out += '(';
        Append(n.kids[0], out);
        *out += ")!";
        return;
      case NodeKind::kFunc:
      case NodeKind::kApply:
        *out += n.kind == NodeKind::kApply && rename_ ? std::string_view("f")
                                                      : std::string_view(n.text);
        Joined(n, ",", false, "(", ")", out);
        return;
      case NodeKind::kTuple:
        Joined(n, ",", false, "(", ")", out);
        return;
      case NodeKind::kSet:
        Joined(n, ",", canonical_, "{", "}", out);
        return;
      case NodeKind::kList:
        Joined(n, ",", canonical_, "", "", out);
        return;
      case NodeKind::kInterval:
        *out += (n.flags & kLeftOpen) ? '(' : '[';
        Append(n.kids[0], out);
        *out += ',';
        Append(n.kids[1], out);
        *out += (n.flags & kRightOpen) ? ')' : ']';
        return;
      case NodeKind::kUnion:
        Joined(n, " U ", canonical_, "", "", out);
        return;
      case NodeKind::kMatrix:
        *out += '[';
        for (int32_t r = 0; r < n.rows; ++r) {
          if (r) *out += "; ";
          for (int32_t c = 0; c < n.cols; ++c) {
            if (c) *out += ", ";
            Append(n.kids[static_cast<size_t>(r * n.cols + c)], out);
          }
        }
        *out += ']';
        return;
      case NodeKind::kRelation:
        Append(n.kids[0], out);
        for (size_t k = 1; k < n.kids.size(); ++k) {
          *out += RelText(n.text[k - 1]);
          Append(n.kids[k], out);
        }
        return;
    }
    *out += '?';
  }

  // "(a op b)".
  void Binary(const Node& n, const char* op, std::string* out) {
    *out += '(';
    Append(n.kids[0], out);
    *out += op;
    Append(n.kids[1], out);
    *out += ')';
  }

  // The children between `open` and `close`, separated by `sep`; in sorted order when `sort`.
  void Joined(const Node& n, const char* sep, bool sort, const char* open, const char* close,
              std::string* out) {
    *out += open;
    if (!sort || n.kids.size() < 2) {
      for (size_t k = 0; k < n.kids.size(); ++k) {
        if (k) *out += sep;
        Append(n.kids[k], out);
      }
      *out += close;
      return;
    }
    std::vector<std::string> parts(n.kids.size());
    for (size_t k = 0; k < n.kids.size(); ++k) Append(n.kids[k], &parts[k]);
    std::sort(parts.begin(), parts.end());
    for (size_t k = 0; k < parts.size(); ++k) {
      if (k) *out += sep;
      *out += parts[k];
    }
    *out += close;
  }

  const Tree& tree_;
  bool canonical_;
  bool rename_;
  std::map<std::string, std::string> names_;
};

}  // namespace

std::string Canonical(const Tree& tree, int32_t i, bool rename_vars) {
  return Printer(tree, /*canonical=*/true, rename_vars).Print(i);
}

std::string ToText(const Tree& tree, int32_t i) {
  return Printer(tree, /*canonical=*/false, /*rename=*/false).Print(i);
}

bool Contains(const Tree& tree, int32_t i, NodeKind kind) {
  const Node& n = tree.at(i);
  if (n.kind == kind) return true;
  for (int32_t k : n.kids) {
    if (Contains(tree, k, kind)) return true;
  }
  return false;
}

void CollectSymbols(const Tree& tree, int32_t i, std::vector<std::string>* out) {
  const Node& n = tree.at(i);
  if (n.kind == NodeKind::kSymbol) {
    auto it = std::lower_bound(out->begin(), out->end(), n.text);
    if (it == out->end() || *it != n.text) out->insert(it, n.text);
    return;
  }
  for (int32_t k : n.kids) CollectSymbols(tree, k, out);
}

void CollectFreeSymbols(const Tree& tree, int32_t i, std::vector<std::string>* out) {
  CollectSymbols(tree, i, out);
  std::vector<std::string> bound;
  Kids stack = {i};
  while (!stack.empty()) {
    const Node& n = tree.at(stack.back());
    stack.pop_back();
    if (n.kind == NodeKind::kFunc && (n.text == "sum" || n.text == "prod") && n.kids.size() == 3) {
      const Node& lower = tree.at(n.kids[0]);
      if (lower.kind == NodeKind::kRelation && !lower.kids.empty() &&
          tree.at(lower.kids[0]).kind == NodeKind::kSymbol) {
        bound.push_back(tree.at(lower.kids[0]).text);
      }
    }
    for (int32_t k : n.kids) stack.push_back(k);
  }
  for (const std::string& b : bound) {
    // A bound name stays free if it also appears outside its sum; rare enough to ignore.
    auto it = std::lower_bound(out->begin(), out->end(), b);
    if (it != out->end() && *it == b) out->erase(it);
  }
}

}  // namespace rlvr::math
