/* maps_jemalloc.c - maps_blocks.h linked with jemalloc (tests/build.mk). */
#include "maps_blocks.h"
