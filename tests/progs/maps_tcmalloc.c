/* maps_tcmalloc.c - maps_blocks.h linked with tcmalloc (tests/build.mk). */
#include "maps_blocks.h"
