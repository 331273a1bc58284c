// A plain C interface to SentencePiece, built as its own module (tandem_spm_shim) and loaded by
// tokenizer.cc with dlmopen(LM_ID_NEWLM), never linked into tandem.
//
// Why: Debian's libsentencepiece exports the symbols of its private protobuf-lite 3.14 copy.
// Linked next to libtorch (which loads the system protobuf 3.21), one copy's symbols replace the
// other's and the process crashes while starting. A plain dlopen(RTLD_LOCAL) is not enough
// (SentencePiece's own protobuf calls would still bind to the global 3.21 copy), and
// RTLD_DEEPBIND crashes on std::cerr (it binds libstdc++'s unconstructed copy instead of the
// executable's). In a link-map namespace of its own, the module, SentencePiece and their
// C/C++ runtimes see only each other.
//
// Only C types cross this boundary, and memory the module returns is released by it
// (tspm_free): the namespace has its own malloc.
#pragma once

#include <cstddef>

extern "C" {

// Bumped when a signature below changes, so a stale module is refused instead of misused.
constexpr int kTspmAbiVersion = 1;
int tspm_abi_version();

// Every function that can fail returns 0 on success, or -1 with *error set to a message (to be
// released with tspm_free).
void tspm_free(void* p);

// Trains with SentencePieceTrainer's command-line style `args` on the given sentences and
// returns the serialized model (released with tspm_free).
int tspm_train(const char* args, const char* const* sentences, const size_t* lengths, size_t count,
               char** model, size_t* model_size, char** error);

// A loaded model, or null with *error set.
void* tspm_load(const char* path, char** error);
void tspm_unload(void* model);

int tspm_piece_size(const void* model);
int tspm_eos_id(const void* model);
int tspm_pad_id(const void* model);
int tspm_unk_id(const void* model);
// 0 normal, 1 control, 2 unknown, 3 byte, 4 unused.
int tspm_piece_kind(const void* model, int id);
// Valid while the model is loaded.
const char* tspm_id_to_piece(const void* model, int id, size_t* size);
int tspm_piece_to_id(const void* model, const char* piece, size_t size);

// Writes the ids of text[0, size) to out (room for `capacity`; size + 1 always suffices since
// every piece covers at least one byte) and sets *count; thread-safe.
int tspm_encode(const void* model, const char* text, size_t size, int* out, size_t capacity,
                size_t* count, char** error);

}  // extern "C"
