// The expression tree a parsed answer becomes: nodes in one arena (`Tree`), children referenced by
// index, so trees copy cheaply and destroy without recursion. Built by the parser, read by the
// evaluator and the comparison; immutable once built.
#ifndef RLVR_VERIFIERS_MATH_EXPR_H_
#define RLVR_VERIFIERS_MATH_EXPR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"

namespace rlvr::math {

enum class NodeKind : uint8_t {
  kNumber,     // literal; `text` holds digits with an optional '.', `flags` kDecimal when written so
  kSymbol,     // a variable or opaque name ("x", "a_37", "\alpha"); `text`
  kConstant,   // "pi", "e", "i", "inf"; `text`
  kText,       // words (\text{...}, units, "odd"); `text`
  kNeg,        // -a
  kAdd,        // a + b + ... (n-ary)
  kSub,        // a - b
  kMul,        // a * b * ... (n-ary)
  kDiv,        // a / b
  kRatio,      // a : b (evaluates as a / b, prints with ':')
  kPow,        // a ^ b
  kPlusMinus,  // a ± b, or ±a with one child
  kPercent,    // a %
  kFactorial,  // a !
  kFunc,       // known function `text` ("sqrt", "root", "sin", "log", "abs", "binom"...) of children
  kApply,      // unknown function application f(x): `text` = name
  kTuple,      // (a, b, ...) ordered
  kSet,        // {a, b, ...} unordered
  kList,       // a, b, ... (bare answer list; unordered)
  kInterval,   // children lo, hi; flags kLeftOpen / kRightOpen
  kUnion,      // A ∪ B ∪ ...
  kMatrix,     // rows x cols children, row-major
  kRelation,   // chain: children are the sides, `text` one op char per gap (see RelOp chars)
};

// Relation operator chars stored in a kRelation node's `text`.
inline constexpr char kRelEq = '=';
inline constexpr char kRelLt = '<';
inline constexpr char kRelLe = 'l';
inline constexpr char kRelGt = '>';
inline constexpr char kRelGe = 'g';
inline constexpr char kRelNe = 'n';
inline constexpr char kRelApprox = 'a';
inline constexpr char kRelIn = 'i';

// Node flags.
inline constexpr uint8_t kDecimal = 1;    // kNumber written with a decimal point / exponent
inline constexpr uint8_t kLeftOpen = 1;   // kInterval
inline constexpr uint8_t kRightOpen = 2;  // kInterval

// A node's children: most nodes have at most four, stored inline (no allocation per node).
using Kids = absl::InlinedVector<int32_t, 4>;

struct Node {
  NodeKind kind;
  uint8_t flags = 0;
  int32_t rows = 0;  // kMatrix
  int32_t cols = 0;  // kMatrix
  std::string text;
  Kids kids;
};

// An arena of nodes; index -1 means "none". Not thread-safe to mutate; const access is.
class Tree {
 public:
  // Appends a node; `text` is copied, and must not point into this tree (a new node may move the
  // others).
  int32_t Add(NodeKind kind, std::string_view text = {}, Kids kids = {}, uint8_t flags = 0);
  void Reserve(size_t nodes) { nodes_.reserve(nodes); }
  const Node& at(int32_t i) const { return nodes_[static_cast<size_t>(i)]; }
  Node& mutable_at(int32_t i) { return nodes_[static_cast<size_t>(i)]; }
  int64_t size() const { return static_cast<int64_t>(nodes_.size()); }
  int32_t root() const { return root_; }
  void set_root(int32_t r) { root_ = r; }

 private:
  std::vector<Node> nodes_;
  int32_t root_ = -1;
};

// Canonical text of a subtree: deterministic, with n-ary sums/products and sets sorted, so two
// structurally-equal answers print the same. When `rename_vars`, symbols print as v0, v1... in order
// of first appearance (name-insensitive comparison).
std::string Canonical(const Tree& tree, int32_t i, bool rename_vars = false);

// Human-readable text of a subtree (source order).
std::string ToText(const Tree& tree, int32_t i);

// True when a subtree contains a node of `kind`.
bool Contains(const Tree& tree, int32_t i, NodeKind kind);

// Collects the distinct symbol names in a subtree (sorted).
void CollectSymbols(const Tree& tree, int32_t i, std::vector<std::string>* out);

// Like CollectSymbols, without the index variables bound by \sum / \prod ("k" in
// \sum_{k=1}^{n} k).
void CollectFreeSymbols(const Tree& tree, int32_t i, std::vector<std::string>* out);

}  // namespace rlvr::math

#endif  // RLVR_VERIFIERS_MATH_EXPR_H_
