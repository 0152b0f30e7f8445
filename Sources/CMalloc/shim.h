#ifndef PORTCULLIS_CMALLOC_SHIM_H
#define PORTCULLIS_CMALLOC_SHIM_H
#include <malloc.h>

// M_MMAP_THRESHOLD is a macro; Swift sees this instead.
static inline int portcullis_set_mmap_threshold(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes);
}
#endif
