/* track.h - free what a filter left behind (see track.c). */
#ifndef MF_FUZZ_TRACK_H
#define MF_FUZZ_TRACK_H

/* Note the descriptors open now: those are not the filter's. */
void fuzz_track_begin(void);
/* Free every tracked block, close every tracked gzip stream and every
 * descriptor opened since fuzz_track_begin(). */
void fuzz_track_release(void);

#endif
