// Every finite float32 x >= 0 whose double-precision sin(x) or cos(x) (the C library's) lies
// within ULPS double ulps of a midpoint between two adjacent floats: where rounding the double
// to float may not give the correctly rounded float sin/cos. rope_sincos_tables.py compiles and
// runs it, then settles each case with mpmath. Prints "sin|cos <bits hex>" per case.
// Usage: cc -O2 sincos_near_midpoints.c -lm && ./a.out [ULPS]
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int near_midpoint(double d, double ulps) {
    float f = (float)d;
    if ((double)f == d) return 0;
    float g = nextafterf(f, d > (double)f ? INFINITY : -INFINITY);
    double mid = ((double)f + (double)g) / 2;   // exact: one bit more than a float
    return fabs(d - mid) <= ulps * fabs(nextafter(mid, INFINITY) - mid);
}

int main(int argc, char **argv) {
    double ulps = argc > 1 ? atof(argv[1]) : 4;
    for (uint32_t b = 0; b < 0x7f800000u; b++) {
        float x;
        memcpy(&x, &b, sizeof x);
        if (near_midpoint(sin((double)x), ulps)) printf("sin %08x\n", b);
        if (near_midpoint(cos((double)x), ulps)) printf("cos %08x\n", b);
    }
    return 0;
}
