#ifndef PORTCULLIS_CZLIB_SHIM_H
#define PORTCULLIS_CZLIB_SHIM_H
#include <zlib.h>

// deflateInit/inflateInit are macros; Swift sees these instead.
static inline int portcullis_deflateInit(z_streamp stream, int level) {
    return deflateInit(stream, level);
}
static inline int portcullis_inflateInit(z_streamp stream) {
    return inflateInit(stream);
}
#endif
