#ifndef PORTCULLIS_CFUZZERDRIVER_H
#define PORTCULLIS_CFUZZERDRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's own driver (compiler-rt, -sanitize=fuzzer): parses its flags and runs `callback`
/// on every input. The fuzz targets' entry points call it, because SwiftPM's debug builds make an
/// executable's `main` an alias of `<module>_main` (so tests can link executables), which leaves
/// libFuzzer's `main` unused.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
