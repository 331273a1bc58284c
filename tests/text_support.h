// Text tasks need SentencePiece, which an AddressSanitizer build cannot load (it runs in a
// dlmopen() namespace of its own; envs/text/tokenizer.cc): a test of a text task skips there,
// saying why, instead of failing.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "envs/text/tokenizer.h"

#define TANDEM_SKIP_WITHOUT_TEXT()                                    \
  do {                                                                \
    std::string tandem_why_;                                          \
    if (!::tandem::text::sentencepiece_available(&tandem_why_))       \
      GTEST_SKIP() << "text tasks unavailable here: " << tandem_why_; \
  } while (0)
