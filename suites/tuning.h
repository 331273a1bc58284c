// Fair tuning (docs/protocol.md §4): every contender of a protocol suite gets the same tuning
// budget, a grid of K configurations over its own key fields, run on tuning seeds disjoint from
// the evaluation seeds; per task, the configuration with the best mean normalized final score on
// the tuning seeds is chosen, and the evaluation seeds run only that one.
//
// In a suite file:
//   "tuning": {
//     "seeds": [101, 102],                     // a list, or a count n: seeds 1001..1000+n; none
//                                              //   of them an evaluation seed
//     "grids": {                               // one per contender label, every one of K points
//       "ppo": {"config.learning_rate": [3e-4, 1e-4], "config.kl_coef": [0.02, 0.05]},
//       "dpo": {"config.learning_rate": [1e-4, 3e-5, 1e-5, 3e-6]},   // 4 points, like ppo's 2×2
//       "apa": {"by_kind": {"text": {...}, "control": {...}}}        // a grid per task kind
//     }}
// A grid is the cross product of its fields' values ("config.NAME" or "policy.NAME", nested with
// dots), the fields in name order (a JSON object's keys have no order), the last varying fastest;
// "by_kind" gives the grid of the tasks of each kind (a kind without an entry has none: the label
// then needs a grid of its own fields beside "by_kind", used for the other kinds). Every grid of
// the suite has the same number of points, so no contender gets more tries than another; a grid may
// not touch a task's feedback or start (the protocol fixes them for everyone).
//
// The runner (runner.h) runs two phases: tuning_suite() under results/<suite>/tuning/ (every
// contender's K points as labels "<label>.g1" … "<label>.gK", and the references, which give
// the tuning seeds their normalization), then select_tuned() writes the choice to
// results/<suite>/tuning/selection.json and tuned_suite() is the evaluation phase: the suite
// with each contender's chosen point per task. A task whose tuning runs have not all finished
// waits: its evaluation runs start once they have (`--only 'TASK/*'` finishes one task first);
// --resume continues either phase.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "envs/config.h"

namespace tandem::suites {

struct Suite;

// One configuration of a grid: the fields it sets, {"config.learning_rate": 0.0001, ...}.
using TuningPoint = json;

struct SuiteTuning {
  std::vector<uint64_t> seeds;
  std::string metric = "eval/return_mean";  // the section metric the choice is made on
  size_t points = 0;                        // K, the same for every grid
  // contender label → task kind ("" for the label's grid of every kind without its own) → points
  std::map<std::string, std::map<std::string, std::vector<TuningPoint>>> grids;
  json as_written;  // the suite file's "tuning"

  // The points of a contender on tasks of a kind.
  const std::vector<TuningPoint>& grid(const std::string& label, const std::string& kind) const;
};

// Reads "tuning" of a suite whose tasks and algorithms (references included) are read; `where`
// names the file.
SuiteTuning read_tuning(const json& j, const Suite& suite, const std::string& where);

// The label of a contender's point k (0-based) in the tuning phase: "<label>.g<k+1>".
std::string tuning_label(const std::string& label, size_t k);

// The tuning phase as a suite of its own: named "<suite>/tuning", seeds the tuning seeds, every
// contender replaced by its K points, the references as they are, no claims.
Suite tuning_suite(const Suite& suite);

// The choice, from the finished tuning runs under tuning_dir, task by task: for every task whose
// tuning runs have all finished, under "tasks", the references' mean final scores on the tuning
// seeds, and per contender each point's normalized final scores (0 = the start, 1 = the oracle;
// the raw scores when the oracle is no better than the start) and the chosen point; the other
// tasks under "unfinished", with the keys of their missing or unfinished runs. Only the tuning
// seeds' runs are read.
json select_tuned(const Suite& suite, const std::string& tuning_dir);

// The evaluation phase of the tasks the selection has chosen for (at least one): the suite
// with each contender's chosen point on each of them, the others left out (they wait for their
// tuning runs; so do claims on them alone), which its suite.json then records under "tuning".
Suite tuned_suite(const Suite& suite, const json& selection);

}  // namespace tandem::suites
