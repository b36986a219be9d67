/* Writes a header's float/double functions once: a header defines MINIGRAD_REAL_FUNCTIONS to its own
   name and includes this file, which includes it back once per type with `real` defined to the type
   (the header's `#ifdef real` part holds the typed functions). Inside them:
     NAME(f)  the function's name: f_float / f_double in C (the Cython side declares both), plain f
              in CUDA C++ (overloads, so a kernel template calls NAME-less f on its T);
     SQRT(v)  the square root in the type's own precision (sqrtf for float in C).
   Arithmetic on `real` values runs in the array's dtype, as the loops did before these headers. */
#include "device.h"

#ifdef MINIGRAD_DEVICE_COMPILER
#define NAME(f) f
#define SQRT(v) sqrt(v)
#define real float
#include MINIGRAD_REAL_FUNCTIONS
#undef real
#define real double
#include MINIGRAD_REAL_FUNCTIONS
#undef real
#else
#define real float
#define NAME(f) f##_float
#define SQRT(v) sqrtf(v)
#include MINIGRAD_REAL_FUNCTIONS
#undef real
#undef NAME
#undef SQRT
#define real double
#define NAME(f) f##_double
#define SQRT(v) sqrt(v)
#include MINIGRAD_REAL_FUNCTIONS
#undef real
#endif
#undef NAME
#undef SQRT
#undef MINIGRAD_REAL_FUNCTIONS
