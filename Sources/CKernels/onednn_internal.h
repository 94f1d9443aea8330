#ifndef ROMA_ONEDNN_INTERNAL_H
#define ROMA_ONEDNN_INTERNAL_H

// Shared inside CKernels: the oneDNN library onednn.c opens at run time, so other
// oneDNN entry points (bf16.c) use the same handle, environment and ISA cap.

/// A symbol of the opened libdnnl (or of its OpenMP runtime); NULL when oneDNN is unavailable.
void *roma_onednn_symbol(const char *name);
/// Sets oneDNN's OpenMP thread count for the calling thread (at least 1); no-op without oneDNN.
void roma_onednn_set_threads(int threads);

#endif
