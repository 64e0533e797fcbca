#include "verifiers/math/expr.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"

namespace rlvr::math {

int32_t Tree::Add(NodeKind kind, std::string text, Kids kids, uint8_t flags) {
  Node n;
  n.kind = kind;
  n.flags = flags;
  n.text = std::move(text);
  n.kids = std::move(kids);
  nodes_.push_back(std::move(n));
  return static_cast<int32_t>(nodes_.size() - 1);
}

int32_t Tree::CopyFrom(const Tree& from, int32_t i) {
  const Node& src = from.at(i);
  Kids kids;
  kids.reserve(src.kids.size());
  for (int32_t k : src.kids) kids.push_back(CopyFrom(from, k));
  int32_t n = Add(src.kind, src.text, std::move(kids), src.flags);
  nodes_[static_cast<size_t>(n)].rows = src.rows;
  nodes_[static_cast<size_t>(n)].cols = src.cols;
  return n;
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
    const Node& n = tree_.at(i);
    switch (n.kind) {
      case NodeKind::kNumber:
        return n.text;
      case NodeKind::kSymbol:
        if (rename_) {
          auto it = names_.find(n.text);
          if (it == names_.end()) {
            it = names_.emplace(n.text, absl::StrCat("v", names_.size())).first;
          }
          return it->second;
        }
        return n.text;
      case NodeKind::kConstant:
        return n.text;
      case NodeKind::kText:
        return absl::StrCat("\"", n.text, "\"");
      case NodeKind::kNeg:
        return absl::StrCat("-(", Print(n.kids[0]), ")");
      case NodeKind::kAdd:
        return Joined(n, "+", canonical_, "(", ")");
      case NodeKind::kMul:
        return Joined(n, "*", canonical_, "(", ")");
      case NodeKind::kSub:
        return absl::StrCat("(", Print(n.kids[0]), "-", Print(n.kids[1]), ")");
      case NodeKind::kDiv:
        return absl::StrCat("(", Print(n.kids[0]), "/", Print(n.kids[1]), ")");
      case NodeKind::kRatio:
        return absl::StrCat("(", Print(n.kids[0]), ":", Print(n.kids[1]), ")");
      case NodeKind::kPow:
        return absl::StrCat("(", Print(n.kids[0]), "^", Print(n.kids[1]), ")");
      case NodeKind::kPlusMinus:
        if (n.kids.size() == 1) return absl::StrCat("(+-", Print(n.kids[0]), ")");
        return absl::StrCat("(", Print(n.kids[0]), "+-", Print(n.kids[1]), ")");
      case NodeKind::kPercent:
        return absl::StrCat(Print(n.kids[0]), "%");
      case NodeKind::kFactorial:
        return absl::StrCat("(", Print(n.kids[0]), ")!");
      case NodeKind::kFunc:
      case NodeKind::kApply:
        return absl::StrCat(n.kind == NodeKind::kApply && rename_ ? std::string("f") : n.text,
                            Joined(n, ",", false, "(", ")"));
      case NodeKind::kTuple:
        return Joined(n, ",", false, "(", ")");
      case NodeKind::kSet:
        return Joined(n, ",", canonical_, "{", "}");
      case NodeKind::kList:
        return Joined(n, ",", canonical_, "", "");
      case NodeKind::kInterval:
        return absl::StrCat((n.flags & kLeftOpen) ? "(" : "[", Print(n.kids[0]), ",",
                            Print(n.kids[1]), (n.flags & kRightOpen) ? ")" : "]");
      case NodeKind::kUnion:
        return Joined(n, " U ", canonical_, "", "");
      case NodeKind::kMatrix: {
        std::string s = "[";
        for (int32_t r = 0; r < n.rows; ++r) {
          if (r) s += "; ";
          for (int32_t c = 0; c < n.cols; ++c) {
            if (c) s += ", ";
            s += Print(n.kids[static_cast<size_t>(r * n.cols + c)]);
          }
        }
        absl::StrAppend(&s, "]");
        return s;
      }
      case NodeKind::kRelation: {
        std::string s = Print(n.kids[0]);
        for (size_t k = 1; k < n.kids.size(); ++k) {
          s += RelText(n.text[k - 1]);
          s += Print(n.kids[k]);
        }
        return s;
      }
    }
    return "?";
  }

 private:
  std::string Joined(const Node& n, const char* sep, bool sort, const char* open,
                     const char* close) {
    std::vector<std::string> parts;
    parts.reserve(n.kids.size());
    for (int32_t k : n.kids) parts.push_back(Print(k));
    if (sort) std::sort(parts.begin(), parts.end());
    std::string s = open;
    for (size_t k = 0; k < parts.size(); ++k) {
      if (k) s += sep;
      s += parts[k];
    }
    absl::StrAppend(&s, close);
    return s;
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
