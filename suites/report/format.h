// Numbers and names as the report writes them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "suites/stats.h"

namespace tandem::suites::report {

// Decimals by magnitude: "1234", "148.3", "2.35", "0.123"; "—" when not finite.
std::string fmt(double x);
// Two decimals: normalized scores and probabilities.
std::string fmt2(double x);
// "estimate [low, high]", each written by f.
std::string fmt_interval(const Interval& i, std::string (*f)(double));
// An estimate and its interval with the same number of decimals, those fmt() picks for the
// largest of the three: "148.3 [47.7, 248.9]", not "148.3 [47.74, 248.9]".
std::string fmt_interval(const Interval& i);
// "1 seed", "3 seeds".
std::string seeds_text(size_t n);
// The written warning where fewer than kMinimumSeeds (stats.h) finished seeds stand behind
// numbers: "" when `few` is empty, else a sentence naming them ("dpo (3 seeds)", ...) as the
// numbers of `what` ("the text_sort table").
std::string few_seeds_warning(const std::string& what, const std::vector<std::string>& few);
// An env step as a whole number.
std::string step_text(double step);
// A name usable in a file name: any other character becomes '_'.
std::string file_safe(const std::string& s);

}  // namespace tandem::suites::report
